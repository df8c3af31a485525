/**
 * The LanguageClient for one server process: how to start it, which documents it sees, and
 * the middleware that pauses suggestions, times them, fills in command arguments and answers
 * workspace/configuration with the server's settings only.
 */
import * as vscode from 'vscode';
import {
  type ErrorHandler,
  LanguageClient,
  type LanguageClientOptions,
  type Middleware,
  type ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';
import { type EditorLocation, NoEditorError, commandArguments } from './commandArguments';
import { type JsonObject, SECTION } from './settings';

export const CLIENT_ID = 'codegpt';

export interface ClientParts {
  executable: string;
  args: string[];
  output: vscode.LogOutputChannel;
  errorHandler: ErrorHandler;
  serverSettings: () => JsonObject;
  isPaused: () => boolean;
  onSuggestionLatency: (ms: number) => void;
}

function activeLocation(): EditorLocation | undefined {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined || editor.document.languageId !== 'python') {
    return undefined;
  }
  const { line, character } = editor.selection.active;
  // VS Code and LSP both count columns in UTF-16 code units.
  return { uri: editor.document.uri.toString(), position: { line, character } };
}

function middleware(parts: ClientParts): Middleware {
  return {
    provideInlineCompletionItems: async (document, position, context, token, next) => {
      if (parts.isPaused()) {
        return undefined;
      }
      const started = Date.now();
      const result = await next(document, position, context, token);
      if (!token.isCancellationRequested) {
        parts.onSuggestionLatency(Date.now() - started);
      }
      return result;
    },
    provideCompletionItem: (document, position, context, token, next) =>
      parts.isPaused() ? undefined : next(document, position, context, token),
    executeCommand: async (command, args, next) => {
      let fullArgs: unknown[];
      try {
        fullArgs = commandArguments(command, args, activeLocation());
      } catch (error) {
        if (error instanceof NoEditorError) {
          void vscode.window.showWarningMessage(`codegpt: ${error.message}.`);
          return undefined;
        }
        throw error;
      }
      return next(command, fullArgs);
    },
    workspace: {
      configuration: async (params, token, next) => {
        const result = await next(params, token);
        if (!Array.isArray(result)) {
          return result;
        }
        return result.map((value, index) => (params.items[index]?.section === SECTION ? parts.serverSettings() : value));
      },
    },
  };
}

export function createClient(parts: ClientParts): LanguageClient {
  const serverOptions: ServerOptions = {
    command: parts.executable,
    args: parts.args,
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
    ],
    // A function, so a restart sends the settings of that moment.
    initializationOptions: () => parts.serverSettings(),
    outputChannel: parts.output,
    errorHandler: parts.errorHandler,
    middleware: middleware(parts),
  };
  return new LanguageClient(CLIENT_ID, 'codegpt', serverOptions, clientOptions);
}
