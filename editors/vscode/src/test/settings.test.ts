import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { needsRestart, serverSettingKeys, toServerSettings } from '../settings';
import { PYTHON, contributedDefault, packageJson } from './python';

test('client-only settings are never sent to the server', () => {
  const keys = serverSettingKeys(packageJson());
  assert.ok(keys.includes('completion.maxTokens'));
  assert.ok(keys.includes('diagnostics.debounceMs'));
  assert.ok(keys.includes('logLevel'));
  assert.ok(!keys.some((key) => key.startsWith('server.') || key.startsWith('trace.')));
});

test('dotted keys become the nested camelCase object the server reads', () => {
  const values: Record<string, unknown> = {
    'completion.maxTokens': 32,
    'completion.enable': false,
    'model.path': null,
    'model.providers': ['CPUExecutionProvider'],
    logLevel: 'info',
  };
  const settings = toServerSettings([...Object.keys(values), 'diagnostics.debounceMs'], (key) => values[key]);
  assert.deepEqual(settings, {
    completion: { maxTokens: 32, enable: false },
    model: { path: null, providers: ['CPUExecutionProvider'] },
    logLevel: 'info',
  });
});

test('only server.* changes restart the server', () => {
  assert.equal(needsRestart('server.path'), true);
  assert.equal(needsRestart('completion.maxTokens'), false);
});

test('package.json mirrors every server setting with the server default', () => {
  // The server's own defaults, flattened to the dotted camelCase keys VS Code uses.
  const script = [
    'import dataclasses, json',
    'from codegpt.server.settings import Settings, camel_case',
    'def flat(obj, prefix=""):',
    '    out = {}',
    '    for f in dataclasses.fields(obj):',
    '        value = getattr(obj, f.name)',
    '        key = prefix + camel_case(f.name)',
    '        out.update(flat(value, key + ".") if dataclasses.is_dataclass(value) else {key: value})',
    '    return out',
    'print(json.dumps(flat(Settings())))',
  ].join('\n');
  const serverDefaults = JSON.parse(execFileSync(PYTHON, ['-c', script], { encoding: 'utf8' })) as Record<string, unknown>;
  const keys = serverSettingKeys(packageJson());
  assert.deepEqual([...keys].sort(), Object.keys(serverDefaults).sort());
  for (const key of keys) {
    assert.deepEqual(contributedDefault(key), serverDefaults[key], `default of codegpt.${key}`);
  }
});
