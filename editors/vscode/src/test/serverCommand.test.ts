import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  type Environment,
  INSTALL_COMMAND,
  findExecutable,
  isExecutableFile,
  missingServerMessage,
  readSettings,
  resolveServerCommand,
} from '../serverCommand';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'codegpt-vscode-'));
}

function makeExecutable(dir: string, name: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return file;
}

function env(overrides: Partial<Environment>): Environment {
  return {
    pathVariable: '',
    workspaceFolder: undefined,
    home: undefined,
    platform: 'linux',
    isExecutable: isExecutableFile,
    ...overrides,
  };
}

test('defaults: codegpt serve', () => {
  assert.deepEqual(readSettings(undefined, undefined), { path: 'codegpt', args: ['serve'] });
  assert.deepEqual(readSettings('  ', null), { path: 'codegpt', args: ['serve'] });
});

test('settings of the wrong type fall back to the defaults', () => {
  assert.deepEqual(readSettings(42, ['serve', 3]), { path: 'codegpt', args: ['serve'] });
  assert.deepEqual(readSettings('/opt/codegpt', ['serve', '--model', 'm']), {
    path: '/opt/codegpt',
    args: ['serve', '--model', 'm'],
  });
});

test('a bare name is looked up on PATH, first match wins', () => {
  const first = tempDir();
  const second = tempDir();
  const expected = makeExecutable(second, 'codegpt');
  makeExecutable(path.join(first, 'unrelated'), 'codegpt');
  assert.equal(findExecutable('codegpt', env({ pathVariable: `${first}:${second}` })), expected);
  const earlier = makeExecutable(first, 'codegpt');
  assert.equal(findExecutable('codegpt', env({ pathVariable: `${first}:${second}` })), earlier);
});

test('a file without the executable bit or a directory is not a server', () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'codegpt'), 'not executable', { mode: 0o644 });
  fs.mkdirSync(path.join(dir, 'sub', 'codegpt'), { recursive: true });
  assert.equal(findExecutable('codegpt', env({ pathVariable: `${dir}:${path.join(dir, 'sub')}` })), undefined);
});

test('relative paths resolve against the workspace folder, ~ against home', () => {
  const workspace = tempDir();
  const inVenv = makeExecutable(workspace, '.venv/bin/codegpt');
  assert.equal(findExecutable('.venv/bin/codegpt', env({ workspaceFolder: workspace })), inVenv);
  assert.equal(findExecutable('.venv/bin/codegpt', env({})), undefined);
  const home = tempDir();
  const inHome = makeExecutable(home, '.local/bin/codegpt');
  assert.equal(findExecutable('~/.local/bin/codegpt', env({ home })), inHome);
});

test('a missing server is reported with the install command', () => {
  const command = resolveServerCommand('codegpt', undefined, env({ pathVariable: tempDir() }));
  assert.equal(command.executable, undefined);
  const message = missingServerMessage(command);
  assert.match(message, /"codegpt" was not found/);
  assert.ok(message.includes(INSTALL_COMMAND));
  assert.equal(INSTALL_COMMAND, "pip install 'codegpt[cpu]'");
});
