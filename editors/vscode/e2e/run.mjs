// End-to-end test of the codegpt VS Code extension in a real workbench: code-server serves
// VS Code, Debian's Chromium shows it, playwright-core types like a user. Steps whose server
// feature is not there yet are skipped (the server's initialize result says so), not failed.
//
// Usage: node run.mjs   (environment: CODE_SERVER_ENTRY, the code-server entry.js, required;
// CODEGPT_PYTHON, the Python with codegpt installed, default `python`; CODEGPT_E2E_MODEL, a model
// folder instead of the bundled one; CODEGPT_VSIX, default ../codegpt.vsix; CHROMIUM, default
// /usr/bin/chromium; CODEGPT_E2E_KEEP=1 keeps the temp folder)
// Exit codes: 0 every step passed or was skipped, 1 a step failed, 2 the setup failed.
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { installExtension, layout, startCodeServer, writeUserSettings } from './lib/codeServer.mjs';
import { firstLine } from './lib/workbench.mjs';
import { Skip, steps } from './steps.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');
const artifacts = path.join(here, 'artifacts');
const docsScreenshot = path.join(repo, 'docs', 'vscode-ghost-text.png');
// The whole run, browser and server included; CI must not hang on a stuck workbench.
const RUN_TIMEOUT_MS = 4 * 60_000;
const STEP_TIMEOUT_MS = 90_000;

const started = Date.now();
// The code-server process group, for a hard stop that cannot wait for the normal clean-up.
let runningServer;
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const log = (message) => console.log(`[e2e ${elapsed()}] ${message}`);

function resolvePython(name) {
  if (name.includes('/')) {
    return path.resolve(name);
  }
  return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' }).trim();
}

const runFile = promisify(execFile);
const checkEnv = { ...process.env, OMP_NUM_THREADS: '1' };

/** {inlineCompletion, commands}: what `codegpt serve` announces at initialize. */
async function serverCapabilities(python, serverArgs) {
  const script = path.join(here, 'server_capabilities.py');
  const { stdout } = await runFile(python, [script, '--', python, ...serverArgs], { env: checkEnv, timeout: 60_000 });
  return JSON.parse(stdout);
}

/** Why the server has no model to suggest with (codegpt doctor's words), or null when it has one. */
async function modelProblem(python, modelPath) {
  const args = ['-m', 'codegpt', 'doctor', '--json', ...(modelPath ? ['--model', modelPath] : [])];
  let stdout;
  try {
    ({ stdout } = await runFile(python, args, { env: checkEnv, timeout: 120_000 }));
  } catch (error) {
    // doctor exits 1 when a check fails and still prints its report.
    if (typeof error.stdout !== 'string' || error.stdout === '') {
      throw error;
    }
    stdout = error.stdout;
  }
  const model = JSON.parse(stdout).find((check) => check.name === 'model');
  return model?.status === 'ok' ? null : (model?.detail ?? 'codegpt doctor has no model check');
}

function userSettings(python, serverArgs, modelPath) {
  return {
    'codegpt.server.path': python,
    'codegpt.server.args': serverArgs,
    ...(modelPath ? { 'codegpt.model.path': modelPath } : {}),
    // Two shared CI cores: the default 400 ms budget would make suggestions flaky, not faster.
    'codegpt.completion.timeBudgetMs': 5000,
    // This test is about the plumbing, not the model's judgement: show whatever it suggests.
    'codegpt.completion.confidenceThreshold': -100,
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.editor.enablePreview': false,
    'extensions.ignoreRecommendations': true,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'chat.commandCenter.enabled': false,
    'files.autoSave': 'off',
    // Typed text must land as typed: no auto-indent, auto-closing or word suggestions.
    'editor.autoIndent': 'none',
    'editor.autoClosingBrackets': 'never',
    'editor.autoClosingQuotes': 'never',
    'editor.autoSurround': 'never',
    'editor.formatOnType': false,
    'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
    'editor.suggestOnTriggerCharacters': false,
    'editor.wordBasedSuggestions': 'off',
    'editor.inlineSuggest.enabled': true,
    'editor.minimap.enabled': false,
  };
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

async function main() {
  const entry = process.env.CODE_SERVER_ENTRY;
  if (!entry || !fs.existsSync(entry)) {
    console.error('e2e: set CODE_SERVER_ENTRY to code-server\'s out/node/entry.js (install-code-server.sh prints it)');
    return 2;
  }
  const vsix = path.resolve(process.env.CODEGPT_VSIX ?? path.join(here, '..', 'codegpt.vsix'));
  if (!fs.existsSync(vsix)) {
    console.error(`e2e: ${vsix} is missing: run \`npm run package\` in editors/vscode`);
    return 2;
  }
  const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  const python = resolvePython(process.env.CODEGPT_PYTHON ?? 'python');
  const serverArgs = ['-m', 'codegpt', 'serve'];

  const modelPath = process.env.CODEGPT_E2E_MODEL ? path.resolve(process.env.CODEGPT_E2E_MODEL) : undefined;
  // Python starts slowly on a busy machine: ask the server while code-server starts.
  const checks = Promise.all([serverCapabilities(python, serverArgs), modelProblem(python, modelPath)]);
  checks.catch(() => undefined);

  fs.rmSync(artifacts, { recursive: true, force: true });
  fs.mkdirSync(artifacts, { recursive: true });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'codegpt-e2e-'));
  const workspace = path.join(root, 'workspace');
  fs.cpSync(path.join(here, 'workspace'), workspace, { recursive: true });
  const dirs = layout(root);
  writeUserSettings(dirs, userSettings(python, serverArgs, modelPath));

  let server;
  let browser;
  let failed = 0;
  let passed = 0;
  let skipped = 0;
  try {
    const installed = await installExtension(entry, dirs, vsix);
    log(`installed ${installed}`);
    server = await startCodeServer(entry, dirs);
    runningServer = server;
    log(`code-server on ${server.url}`);
    const [capabilities, problem] = await checks;
    capabilities.modelProblem = problem;
    log(`server offers: inline completion ${capabilities.inlineCompletion}, commands ${JSON.stringify(capabilities.commands)}`);
    log(`model: ${problem ?? 'ok'}`);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
    const ghostScreenshot = path.join(root, 'ghost-text.png');
    const plan = steps({ workspace, expectedDir: path.join(here, 'expected'), capabilities, ghostScreenshot });
    for (const [index, step] of plan.entries()) {
      const stepStart = Date.now();
      const took = () => `${((Date.now() - stepStart) / 1000).toFixed(1)} s`;
      try {
        await withTimeout(step.run(page, server.url), STEP_TIMEOUT_MS, step.name);
        passed++;
        log(`PASS ${step.name} (${took()})`);
        if (fs.existsSync(ghostScreenshot)) {
          fs.mkdirSync(path.dirname(docsScreenshot), { recursive: true });
          fs.renameSync(ghostScreenshot, docsScreenshot);
          log(`ghost text screenshot: ${path.relative(repo, docsScreenshot)}`);
        }
      } catch (error) {
        fs.rmSync(ghostScreenshot, { force: true });
        if (error instanceof Skip) {
          skipped++;
          log(`SKIP ${step.name}: ${error.message}`);
          continue;
        }
        failed++;
        const shot = path.join(artifacts, `${index + 1}-${slug(step.name)}.png`);
        await page.screenshot({ path: shot }).catch(() => undefined);
        log(`FAIL ${step.name} (${took()}): ${error.stack ?? error}`);
        // The extension reports a server that did not start in notifications: say what they say.
        const notes = await page
          .locator('.notifications-toasts .notification-list-item-message')
          .allInnerTexts()
          .catch(() => []);
        for (const note of notes) {
          log(`notification: ${note}`);
        }
        log(`screenshot: ${path.relative(repo, shot)}`);
        // Later steps build on the workbench state; one failure is enough to stop on.
        break;
      }
    }
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (failed > 0 && fs.existsSync(path.join(root, 'code-server.log'))) {
      fs.copyFileSync(path.join(root, 'code-server.log'), path.join(artifacts, 'code-server.log'));
    }
    if (process.env.CODEGPT_E2E_KEEP === '1') {
      log(`kept ${root}`);
    } else {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
  log('done');
  console.log(`vscode e2e: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed > 0 ? 1 : 0;
}

function abort(reason, code) {
  console.error(`e2e: ${reason}`);
  runningServer?.killNow();
  process.exit(code);
}

const hardStop = setTimeout(() => abort(`the whole run took longer than ${RUN_TIMEOUT_MS / 1000} s`, 1), RUN_TIMEOUT_MS);
hardStop.unref();
process.on('SIGINT', () => abort('interrupted', 130));
process.on('SIGTERM', () => abort('terminated', 143));

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`e2e: setup failed: ${firstLine(error)}`);
    console.error(error.stack ?? error);
    process.exitCode = 2;
  },
);
