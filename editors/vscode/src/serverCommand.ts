/**
 * Which process to start: `codegpt.server.path` and `codegpt.server.args`, resolved the way
 * a shell would (a bare name on PATH, a path relative to the workspace, `~`), so a missing
 * server is noticed before VS Code tries to spawn it and the user gets the install command.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const DEFAULT_PATH = 'codegpt';
export const DEFAULT_ARGS: readonly string[] = ['serve'];
export const INSTALL_COMMAND = "pip install 'codegpt[cpu]'";

export interface ServerCommand {
  /** What the user configured (for messages). */
  configured: string;
  /** The absolute executable, or undefined when it was not found. */
  executable: string | undefined;
  args: string[];
}

export interface Environment {
  /** PATH (or Path on Windows). */
  pathVariable: string | undefined;
  /** First workspace folder, to resolve relative paths like `.venv/bin/codegpt`. */
  workspaceFolder: string | undefined;
  home: string | undefined;
  platform: NodeJS.Platform;
  isExecutable: (file: string) => boolean;
}

/** A regular file this process may execute (what a shell's PATH lookup accepts). */
export function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Settings may hold anything (they are user-edited JSON): fall back to the defaults. */
export function readSettings(pathSetting: unknown, argsSetting: unknown): { path: string; args: string[] } {
  const configured = typeof pathSetting === 'string' && pathSetting.trim() !== '' ? pathSetting.trim() : DEFAULT_PATH;
  const args =
    Array.isArray(argsSetting) && argsSetting.every((arg) => typeof arg === 'string')
      ? [...(argsSetting as string[])]
      : [...DEFAULT_ARGS];
  return { path: configured, args };
}

function candidates(name: string, env: Environment): string[] {
  if (env.platform !== 'win32' || path.extname(name) !== '') {
    return [name];
  }
  return ['.exe', '.cmd', '.bat', ''].map((ext) => name + ext);
}

/** Resolve the executable like a shell: names through PATH, paths against the workspace. */
export function findExecutable(configured: string, env: Environment): string | undefined {
  const pathApi = env.platform === 'win32' ? path.win32 : path.posix;
  let target = configured;
  if (target === '~' || target.startsWith('~/')) {
    if (env.home === undefined) {
      return undefined;
    }
    target = pathApi.join(env.home, target.slice(1));
  }
  const hasSeparator = target.includes('/') || (env.platform === 'win32' && target.includes('\\'));
  if (hasSeparator) {
    const absolute = pathApi.isAbsolute(target)
      ? target
      : env.workspaceFolder !== undefined
        ? pathApi.join(env.workspaceFolder, target)
        : undefined;
    if (absolute === undefined) {
      return undefined;
    }
    return candidates(absolute, env).find((file) => env.isExecutable(file));
  }
  const separator = env.platform === 'win32' ? ';' : ':';
  for (const dir of (env.pathVariable ?? '').split(separator)) {
    if (dir === '') {
      continue;
    }
    const found = candidates(pathApi.join(dir, target), env).find((file) => env.isExecutable(file));
    if (found !== undefined) {
      return found;
    }
  }
  return undefined;
}

export function resolveServerCommand(pathSetting: unknown, argsSetting: unknown, env: Environment): ServerCommand {
  const settings = readSettings(pathSetting, argsSetting);
  return { configured: settings.path, executable: findExecutable(settings.path, env), args: settings.args };
}

/** The notification shown when the server cannot be found. */
export function missingServerMessage(command: ServerCommand): string {
  return (
    `codegpt: the language server "${command.configured}" was not found. ` +
    `Install it with \`${INSTALL_COMMAND}\` (in the Python environment VS Code sees), ` +
    'or set "codegpt.server.path" to its full path.'
  );
}
