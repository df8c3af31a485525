/**
 * Owns the server's lifecycle: finds the executable (or explains how to install it), starts
 * the client, restarts it with back-off after a crash, and forwards settings changes.
 */
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  type ErrorHandler,
  type LanguageClient,
  State,
} from 'vscode-languageclient/node';
import { createClient } from './client';
import { RestartPolicy } from './restart';
import {
  INSTALL_COMMAND,
  type ServerCommand,
  isExecutableFile,
  missingServerMessage,
  resolveServerCommand,
} from './serverCommand';
import { type JsonObject, SECTION, serverSettingKeys, toServerSettings } from './settings';
import { STATUS_NOTIFICATION, parseServerStatus } from './status';
import type { StatusBar } from './statusBar';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class ServerController implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly policy = new RestartPolicy();
  private readonly settingKeys: string[];

  constructor(
    extension: vscode.Extension<unknown>,
    private readonly output: vscode.LogOutputChannel,
    private readonly statusBar: StatusBar,
  ) {
    this.settingKeys = serverSettingKeys(extension.packageJSON as object);
  }

  serverSettings(): JsonObject {
    const configuration = vscode.workspace.getConfiguration(SECTION);
    return toServerSettings(this.settingKeys, (key) => configuration.get(key));
  }

  private resolveCommand(): ServerCommand {
    const configuration = vscode.workspace.getConfiguration(SECTION);
    return resolveServerCommand(configuration.get('server.path'), configuration.get('server.args'), {
      pathVariable: process.env.PATH ?? process.env.Path,
      workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      home: process.env.HOME ?? process.env.USERPROFILE,
      platform: process.platform,
      isExecutable: isExecutableFile,
    });
  }

  async start(): Promise<void> {
    const command = this.resolveCommand();
    if (command.executable === undefined) {
      this.statusBar.setState('missing');
      const message = missingServerMessage(command);
      this.output.error(message);
      void vscode.window.showErrorMessage(message, 'Copy Install Command', 'Open Settings').then(async (choice) => {
        if (choice === 'Copy Install Command') {
          await vscode.env.clipboard.writeText(INSTALL_COMMAND);
        } else if (choice === 'Open Settings') {
          await vscode.commands.executeCommand('workbench.action.openSettings', 'codegpt.server');
        }
      });
      return;
    }
    this.output.info(`starting ${command.executable} ${command.args.join(' ')}`);
    this.statusBar.setState('starting');
    const client = createClient({
      executable: command.executable,
      args: command.args,
      output: this.output,
      errorHandler: this.errorHandler(),
      serverSettings: () => this.serverSettings(),
      isPaused: () => this.statusBar.paused,
      onSuggestionLatency: (latencyMs) => this.statusBar.report({ latencyMs }),
    });
    this.client = client;
    client.onDidChangeState((event) => {
      if (event.newState === State.Running) {
        this.policy.started();
        this.statusBar.setState('running');
        const commands = client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
        void vscode.commands.executeCommand('setContext', 'codegpt.serverCommands', commands);
      } else if (event.newState === State.Stopped) {
        this.statusBar.setState('stopped');
      }
    });
    client.onNotification(STATUS_NOTIFICATION, (params: unknown) => {
      const status = parseServerStatus(params);
      if (status !== undefined) {
        this.statusBar.report(status);
      }
    });
    try {
      await client.start();
    } catch (error) {
      this.statusBar.setState('stopped');
      this.output.error(`the server did not start: ${String(error)}`);
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      try {
        await client.dispose(5000);
      } catch (error) {
        this.output.error(`stopping the server failed: ${String(error)}`);
      }
    }
  }

  async restart(): Promise<void> {
    this.policy.reset();
    await this.stop();
    await this.start();
  }

  onConfigurationChanged(event: vscode.ConfigurationChangeEvent): void {
    if (!event.affectsConfiguration(SECTION)) {
      return;
    }
    if (event.affectsConfiguration(`${SECTION}.server`)) {
      void this.restart();
      return;
    }
    if (this.client?.isRunning()) {
      void this.client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { [SECTION]: this.serverSettings() },
      });
    }
  }

  dispose(): void {
    void this.stop();
  }

  private errorHandler(): ErrorHandler {
    return {
      error: (_error, _message, count) => ({
        action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
      }),
      closed: async () => {
        const decision = this.policy.crashed();
        if (!decision.restart) {
          this.statusBar.setState('stopped');
          void vscode.window
            .showErrorMessage(
              `codegpt: the server stopped ${decision.crashes} times in a row and will not be restarted.`,
              'Show Output',
              'Restart Server',
            )
            .then((choice) => {
              if (choice === 'Show Output') {
                this.output.show();
              } else if (choice === 'Restart Server') {
                void this.restart();
              }
            });
          return { action: CloseAction.DoNotRestart, handled: true };
        }
        this.output.warn(`the server stopped; restart ${decision.attempt} in ${decision.delayMs} ms`);
        this.statusBar.setState('starting');
        await sleep(decision.delayMs);
        return { action: CloseAction.Restart, handled: true };
      },
    };
  }
}
