import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestartPolicy } from '../restart';

const options = { initialDelayMs: 500, maxDelayMs: 4_000, maxRestarts: 5, stableAfterMs: 60_000 };

function policyAt(clock: { now: number }): RestartPolicy {
  return new RestartPolicy(options, () => clock.now);
}

test('crashes in a row back off exponentially up to the cap, then give up', () => {
  const clock = { now: 0 };
  const policy = policyAt(clock);
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    policy.started();
    clock.now += 1_000;
    const decision = policy.crashed();
    assert.equal(decision.restart, true);
    if (decision.restart) {
      delays.push(decision.delayMs);
    }
  }
  assert.deepEqual(delays, [500, 1_000, 2_000, 4_000, 4_000]);
  policy.started();
  assert.deepEqual(policy.crashed(), { restart: false, crashes: 6 });
});

test('a stable run starts the count over', () => {
  const clock = { now: 0 };
  const policy = policyAt(clock);
  policy.started();
  policy.crashed();
  policy.started();
  policy.crashed();
  policy.started();
  clock.now += 61_000;
  assert.deepEqual(policy.crashed(), { restart: true, delayMs: 500, attempt: 1 });
});

test('a manual restart forgets earlier crashes', () => {
  const clock = { now: 0 };
  const policy = policyAt(clock);
  for (let i = 0; i < 6; i++) {
    policy.crashed();
  }
  policy.reset();
  assert.deepEqual(policy.crashed(), { restart: true, delayMs: 500, attempt: 1 });
});
