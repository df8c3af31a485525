import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatStatus, parseServerStatus, shortProvider } from '../status';

test('codegpt/status: known fields with the right types only', () => {
  assert.deepEqual(parseServerStatus({ model: 'codegpt-small', provider: 'CPUExecutionProvider', latencyMs: 42 }), {
    model: 'codegpt-small',
    provider: 'CPUExecutionProvider',
    latencyMs: 42,
  });
  assert.deepEqual(parseServerStatus({ model: 3, latencyMs: -1, extra: true, provider: 'CUDAExecutionProvider' }), {
    provider: 'CUDAExecutionProvider',
  });
  assert.equal(parseServerStatus({ latencyMs: Number.NaN }), undefined);
  assert.equal(parseServerStatus(null), undefined);
  assert.equal(parseServerStatus('running'), undefined);
});

test('running: provider and latency in the text, model in the tooltip', () => {
  const view = formatStatus('running', { model: 'codegpt-small', provider: 'CUDAExecutionProvider', latencyMs: 87.6 }, false);
  assert.equal(view.text, '$(sparkle) codegpt CUDA 88 ms');
  assert.match(view.tooltip, /Model: codegpt-small/);
  assert.match(view.tooltip, /Execution provider: CUDAExecutionProvider/);
  assert.match(view.tooltip, /Click to pause suggestions/);
});

test('paused and unreported states read clearly', () => {
  const view = formatStatus('running', {}, true);
  assert.equal(view.text, '$(debug-pause) codegpt');
  assert.match(view.tooltip, /suggestions paused/);
  assert.match(view.tooltip, /Model: not reported yet/);
  assert.match(view.tooltip, /Click to resume suggestions/);
  assert.match(formatStatus('missing', {}, false).tooltip, /server not found/);
  assert.match(formatStatus('stopped', {}, false).tooltip, /Restart Server/);
});

test('provider names lose the ExecutionProvider suffix only', () => {
  assert.equal(shortProvider('CPUExecutionProvider'), 'CPU');
  assert.equal(shortProvider('MyProvider'), 'MyProvider');
});
