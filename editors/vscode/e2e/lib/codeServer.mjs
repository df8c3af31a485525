// A throwaway code-server: fresh user-data, extensions and XDG folders under one temp folder,
// the .vsix installed into it, served on a free local port, and stopped as a whole process group
// (code-server forks an extension host and the codegpt server under it).
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A port the kernel just handed out and released: free unless someone races us for it. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The folders and environment one run of code-server gets, all under `root`. */
export function layout(root) {
  const dirs = {
    userData: path.join(root, 'user-data'),
    extensions: path.join(root, 'extensions'),
    xdgConfig: path.join(root, 'xdg-config'),
    xdgData: path.join(root, 'xdg-data'),
    xdgCache: path.join(root, 'xdg-cache'),
  };
  for (const dir of Object.values(dirs)) {
    fs.mkdirSync(dir, { recursive: true });
  }
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CACHE_HOME: dirs.xdgCache,
    // The extension's server and its onnxruntime share two cores with the browser.
    OMP_NUM_THREADS: '1',
  };
  // VSCODE_* variables of a surrounding VS Code would leak into the extension host.
  for (const name of Object.keys(env)) {
    if (name.startsWith('VSCODE_')) {
      delete env[name];
    }
  }
  return { root, ...dirs, env };
}

/** User settings that make the workbench quiet and typing deterministic. */
export function writeUserSettings(dirs, settings) {
  const file = path.join(dirs.userData, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
}

function baseArgs(dirs) {
  return ['--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
}

export async function installExtension(entry, dirs, vsix) {
  const { stdout } = await run(process.execPath, [entry, ...baseArgs(dirs), '--install-extension', vsix], {
    env: dirs.env,
    timeout: 60_000,
  });
  const installed = fs.readdirSync(dirs.extensions).filter((name) => name.startsWith('codegpt.codegpt-'));
  if (installed.length === 0) {
    throw new Error(`code-server did not install ${vsix}:\n${stdout}`);
  }
  return installed[0];
}

/**
 * Starts code-server in a session of its own (`detached` is setsid), waits for /healthz and
 * returns a handle whose stop() ends every process of that session.
 */
export async function startCodeServer(entry, dirs, { timeoutMs = 60_000 } = {}) {
  const port = await freePort();
  const logFile = path.join(dirs.root, 'code-server.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      entry,
      ...baseArgs(dirs),
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
    ],
    { env: dirs.env, detached: true, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const handle = {
    port,
    url: `http://127.0.0.1:${port}`,
    logFile,
    async stop() {
      await killGroup(child.pid, () => exited !== null);
    },
    /** For a process that is about to exit and cannot wait. */
    killNow() {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== null) {
      throw new Error(`code-server exited (${JSON.stringify(exited)}) before serving; see ${logFile}`);
    }
    try {
      const response = await fetch(`${handle.url}/healthz`);
      if (response.ok) {
        return handle;
      }
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  await handle.stop();
  throw new Error(`code-server did not answer /healthz within ${timeoutMs} ms; see ${logFile}`);
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the process group, SIGKILL to whatever is left after a grace period. */
export async function killGroup(pid, leaderExited) {
  for (const [signal, graceMs] of [
    ['SIGTERM', 5000],
    ['SIGKILL', 2000],
  ]) {
    try {
      process.kill(-pid, signal);
    } catch {
      return;
    }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!groupAlive(pid) && leaderExited()) {
        return;
      }
      await sleep(100);
    }
  }
}
