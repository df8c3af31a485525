/** The Python that has codegpt installed (the project venv in CI): $CODEGPT_PYTHON or `python`. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PYTHON = process.env.CODEGPT_PYTHON ?? 'python';

/** editors/vscode/package.json, read from the compiled test's location (out/test). */
export function packageJson(): { contributes: { configuration: { properties: Record<string, { default?: unknown }> } } } {
  return JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8'));
}

/** The defaults VS Code fills in for each `codegpt.*` setting. */
export function contributedDefault(key: string): unknown {
  return packageJson().contributes.configuration.properties[`codegpt.${key}`]?.default;
}
