/**
 * The server's commands need to know where to act: `codegpt.fixFile` takes [uri] and
 * `codegpt.generateTests` takes [uri, position]. Run from the command palette they come
 * without arguments, so the active editor's are filled in before the request is sent.
 */

export const FIX_FILE = 'codegpt.fixFile';
export const GENERATE_TESTS = 'codegpt.generateTests';

export interface EditorLocation {
  uri: string;
  position: { line: number; character: number };
}

export class NoEditorError extends Error {}

/** The arguments to send; callers that already pass them (code actions, tests) are untouched. */
export function commandArguments(command: string, args: readonly unknown[], editor: EditorLocation | undefined): unknown[] {
  const needed = command === FIX_FILE ? 1 : command === GENERATE_TESTS ? 2 : 0;
  if (needed === 0 || args.length >= needed) {
    return [...args];
  }
  if (editor === undefined) {
    throw new NoEditorError(`${command} needs an open Python file`);
  }
  return command === FIX_FILE ? [editor.uri] : [editor.uri, editor.position];
}
