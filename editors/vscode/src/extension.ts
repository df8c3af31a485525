/** Entry point: wires the output, the status bar, the server controller and the commands. */
import * as vscode from 'vscode';
import { ServerController } from './controller';
import { StatusBar, TOGGLE_SUGGESTIONS_COMMAND } from './statusBar';

let controller: ServerController | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('codegpt', { log: true });
  const statusBar = new StatusBar();
  const current = new ServerController(context.extension, output, statusBar);
  controller = current;
  context.subscriptions.push(
    output,
    statusBar,
    current,
    vscode.commands.registerCommand('codegpt.restartServer', () => current.restart()),
    vscode.commands.registerCommand('codegpt.showOutput', () => output.show()),
    vscode.commands.registerCommand(TOGGLE_SUGGESTIONS_COMMAND, () => statusBar.togglePaused()),
    vscode.workspace.onDidChangeConfiguration((event) => current.onConfigurationChanged(event)),
  );
  // codegpt.fixFile and codegpt.generateTests are registered by the language client when the
  // server announces them (executeCommandProvider); the middleware adds the editor's arguments.
  await current.start();
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}
