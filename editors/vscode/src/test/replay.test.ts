/**
 * LSP traffic as the extension sends it, replayed from plain Node against the real server
 * (`python -m codegpt serve`): the same initializationOptions and configuration answers the
 * extension produces, a broken file, its diagnostics, a settings change, shutdown and exit.
 */
import * as assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import {
  ConfigurationRequest,
  DidChangeConfigurationNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializeRequest,
  type InitializeResult,
  InitializedNotification,
  type ProtocolConnection,
  PublishDiagnosticsNotification,
  type PublishDiagnosticsParams,
  ShowMessageNotification,
  type ShowMessageParams,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import { SECTION, serverSettingKeys, toServerSettings } from '../settings';
import { PYTHON, contributedDefault, packageJson } from './python';

const TIMEOUT_MS = 20_000;

/** The settings object the extension sends when the user changed nothing. */
function defaultSettings(): Record<string, unknown> {
  return toServerSettings(serverSettingKeys(packageJson()), contributedDefault);
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

let server: ChildProcessWithoutNullStreams;
let connection: ProtocolConnection;
let initializeResult: InitializeResult;
let stderr = '';
const shown: ShowMessageParams[] = [];
const published: PublishDiagnosticsParams[] = [];
const waiters: Array<() => void> = [];
const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'codegpt-replay-'));
const brokenUri = pathToFileURL(path.join(workspace, 'broken.py')).toString();

function diagnosticsFor(uri: string, predicate: (p: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams> {
  return within(
    new Promise((resolve) => {
      const check = (): boolean => {
        const match = [...published].reverse().find((p) => p.uri === uri);
        if (match !== undefined && predicate(match)) {
          resolve(match);
          return true;
        }
        return false;
      };
      if (!check()) {
        waiters.push(() => void check());
      }
    }),
    `diagnostics for ${uri}`,
  );
}

before(async () => {
  server = spawn(PYTHON, ['-m', 'codegpt', 'serve'], { env: { ...process.env, OMP_NUM_THREADS: '1' } });
  server.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  connection = createProtocolConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  connection.onNotification(ShowMessageNotification.type, (params) => {
    shown.push(params);
  });
  connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
    published.push(params);
    for (const wake of waiters.splice(0)) {
      wake();
    }
  });
  // What the extension's middleware answers for the server's settings pull.
  connection.onRequest(ConfigurationRequest.type, (params) =>
    params.items.map((item) => (item.section === SECTION ? defaultSettings() : null)),
  );
  const died = new Promise<never>((_, reject) => {
    server.on('exit', (code) => reject(new Error(`the server exited (${code}) before initialize:\n${stderr}`)));
  });
  died.catch(() => undefined); // only an error while initialize is pending
  connection.listen();
  initializeResult = await within(
    Promise.race([died, connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: pathToFileURL(workspace).toString(),
      workspaceFolders: [{ uri: pathToFileURL(workspace).toString(), name: 'replay' }],
      capabilities: {
        workspace: { configuration: true, applyEdit: true, didChangeConfiguration: { dynamicRegistration: false } },
        textDocument: {
          synchronization: { didSave: true },
          publishDiagnostics: { relatedInformation: true },
          inlineCompletion: { dynamicRegistration: false },
        },
        general: { positionEncodings: ['utf-16'] },
      },
      initializationOptions: defaultSettings(),
    })]),
    'initialize',
  );
  await connection.sendNotification(InitializedNotification.type, {});
});

after(async () => {
  connection?.dispose();
  if (server !== undefined && server.exitCode === null) {
    server.kill();
  }
  fs.rmSync(workspace, { recursive: true, force: true });
});

test('initialize: a named server with document sync', () => {
  assert.equal(initializeResult.serverInfo?.name, 'codegpt');
  assert.ok(initializeResult.capabilities.textDocumentSync !== undefined);
});

test('a broken file gets a codegpt diagnostic on its def line', async () => {
  await connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri: brokenUri, languageId: 'python', version: 1, text: 'def add(a, b)\n    return a + b\n' },
  });
  const params = await diagnosticsFor(brokenUri, (p) => p.diagnostics.length > 0);
  const [first] = params.diagnostics;
  assert.equal(first.source, 'codegpt');
  assert.equal(first.range.start.line, 0);
  assert.equal(first.severity, 1);
});

test("the extension's default settings raise no warning", async () => {
  // Warnings about settings arrive right after initialize/initialized; give them a moment.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(
    shown.filter((m) => m.message.includes('settings')),
    [],
    `server stderr:\n${stderr}`,
  );
});

test('a settings change (diagnostics off) reaches the server', async () => {
  const settings = defaultSettings() as { diagnostics: { enable: boolean } };
  settings.diagnostics.enable = false;
  await connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SECTION]: settings } });
  const cleared = await diagnosticsFor(brokenUri, (p) => p.diagnostics.length === 0);
  assert.deepEqual(cleared.diagnostics, []);
});

test('shutdown and exit end the process cleanly', async () => {
  const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
  await within(connection.sendRequest(ShutdownRequest.type), 'shutdown');
  await connection.sendNotification(ExitNotification.type);
  assert.equal(await within(exited, 'exit'), 0);
});
