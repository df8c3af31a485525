/**
 * Maps the extension's `codegpt.*` settings to the server's settings object.
 *
 * The list of server settings is read from package.json's `contributes.configuration`, so a
 * setting added there reaches the server without touching code. Settings that configure the
 * client itself (how to start the server, tracing) are never sent: the server would warn
 * about keys it does not know.
 */

export const SECTION = 'codegpt';

/** Prefixes (below `codegpt.`) of settings that only the client reads. */
export const CLIENT_ONLY_PREFIXES: readonly string[] = ['server.', 'trace.'];

export interface ContributedConfiguration {
  contributes?: {
    configuration?: { properties?: Record<string, unknown> } | { properties?: Record<string, unknown> }[];
  };
}

/** `completion.maxTokens`, `model.path`, ... : the server's keys, without `codegpt.`. */
export function serverSettingKeys(packageJson: ContributedConfiguration): string[] {
  const configuration = packageJson.contributes?.configuration;
  const blocks = Array.isArray(configuration) ? configuration : configuration ? [configuration] : [];
  const keys: string[] = [];
  for (const block of blocks) {
    for (const name of Object.keys(block.properties ?? {})) {
      if (!name.startsWith(`${SECTION}.`)) {
        continue;
      }
      const key = name.slice(SECTION.length + 1);
      if (!CLIENT_ONLY_PREFIXES.some((prefix) => key.startsWith(prefix))) {
        keys.push(key);
      }
    }
  }
  return keys;
}

export type JsonObject = { [key: string]: unknown };

/**
 * Nested settings object from dotted keys: `completion.maxTokens` -> `{ completion: { maxTokens } }`.
 * `get` returns the effective value (VS Code fills in defaults); `undefined` leaves a key out,
 * so the server keeps its own default for it.
 */
export function toServerSettings(keys: readonly string[], get: (key: string) => unknown): JsonObject {
  const settings: JsonObject = {};
  for (const key of keys) {
    const value = get(key);
    if (value === undefined) {
      continue;
    }
    const parts = key.split('.');
    let node = settings;
    for (const part of parts.slice(0, -1)) {
      const child = node[part];
      if (typeof child !== 'object' || child === null || Array.isArray(child)) {
        node[part] = {};
      }
      node = node[part] as JsonObject;
    }
    node[parts[parts.length - 1]] = value;
  }
  return settings;
}

/** True when a change to `codegpt.<key>` means the server process must be restarted. */
export function needsRestart(changedKey: string): boolean {
  return changedKey.startsWith('server.');
}
