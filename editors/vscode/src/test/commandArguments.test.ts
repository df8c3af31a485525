import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIX_FILE, GENERATE_TESTS, NoEditorError, commandArguments } from '../commandArguments';

const editor = { uri: 'file:///w/calc.py', position: { line: 3, character: 8 } };

test('from the palette, the active editor supplies uri and position', () => {
  assert.deepEqual(commandArguments(FIX_FILE, [], editor), ['file:///w/calc.py']);
  assert.deepEqual(commandArguments(GENERATE_TESTS, [], editor), ['file:///w/calc.py', { line: 3, character: 8 }]);
});

test('arguments given by the caller are kept', () => {
  assert.deepEqual(commandArguments(FIX_FILE, ['file:///other.py'], editor), ['file:///other.py']);
  const position = { line: 0, character: 0 };
  assert.deepEqual(commandArguments(GENERATE_TESTS, ['file:///o.py', position], undefined), ['file:///o.py', position]);
  assert.deepEqual(commandArguments('codegpt.somethingElse', [1], undefined), [1]);
});

test('without a Python editor the command explains itself', () => {
  assert.throws(() => commandArguments(FIX_FILE, [], undefined), NoEditorError);
  assert.throws(() => commandArguments(GENERATE_TESTS, ['file:///only-uri.py'], undefined), /needs an open Python file/);
});
