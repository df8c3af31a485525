// What a user does in the VS Code workbench, as playwright actions: open a file through Quick
// Open, run a command from the palette, read the active editor. The UI steps that are known to
// be flaky in a browser (a keystroke landing before the widget has focus) check their effect
// and are retried.

export const ACTIVE_EDITOR = '.editor-group-container.active .monaco-editor';

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls fn until it returns without throwing, at most `attempts` times; rethrows the last error. */
export async function retry(what, fn, { attempts = 3, pauseMs = 500 } = {}) {
  let lastError;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      lastError = error;
      console.log(`  ${what}: attempt ${attempt} failed: ${firstLine(error)}`);
      await sleep(pauseMs);
    }
  }
  throw lastError;
}

/** Polls fn until it returns a truthy value; the value, or an error naming `what`. */
export async function waitUntil(what, fn, { timeoutMs = 30_000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) {
      return last;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

export function firstLine(error) {
  return String(error?.message ?? error).split('\n')[0];
}

export async function waitForWorkbench(page) {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  // The explorer lists the folder once the remote file system answers.
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible', timeout: 60_000 });
}

async function closeQuickInput(page) {
  const widget = page.locator('.quick-input-widget');
  if (await widget.isVisible()) {
    await page.keyboard.press('Escape');
    await widget.waitFor({ state: 'hidden', timeout: 5000 });
  }
}

/** Types into the open Quick Input and clicks the row whose label is `label` (Enter was unreliable). */
async function pickFromQuickInput(page, opener, text, rowMatches) {
  await closeQuickInput(page);
  await opener();
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'visible', timeout: 10_000 });
  const input = widget.locator('input.input');
  await input.fill(text);
  const row = widget.locator('.quick-input-list .monaco-list-row').filter({ hasText: rowMatches }).first();
  // The first Quick Open of a session waits for the file search to index the folder.
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  await row.click();
  await widget.waitFor({ state: 'hidden', timeout: 5000 });
}

/** Opens a workspace file by name via Quick Open and waits until its editor is the active one. */
export async function openFile(page, fileName) {
  await retry(`open ${fileName}`, async () => {
    await pickFromQuickInput(page, () => page.keyboard.press('Control+P'), fileName, fileName);
    await page
      .locator('.editor-group-container.active .tab.active')
      .filter({ hasText: fileName })
      .waitFor({ state: 'visible', timeout: 10_000 });
    await page.locator(`${ACTIVE_EDITOR} .view-lines`).waitFor({ state: 'visible', timeout: 10_000 });
  });
  await focusEditor(page);
}

export async function focusEditor(page) {
  await page.locator(`${ACTIVE_EDITOR} .view-lines`).click({ position: { x: 5, y: 5 } });
  await page.locator(`${ACTIVE_EDITOR}.focused`).waitFor({ state: 'visible', timeout: 5000 });
}

/** Runs a command from the palette by its full label ("codegpt: Fix File"). */
export async function runCommand(page, label) {
  await retry(`run ${label}`, () =>
    pickFromQuickInput(page, () => page.keyboard.press('F1'), `>${label}`, label),
  );
}

/**
 * The lines the active editor shows, top to bottom, as text. Monaco positions lines absolutely,
 * so DOM order is not line order; spaces are rendered as no-break spaces.
 */
export async function editorLines(page) {
  return page.locator(`${ACTIVE_EDITOR} .view-lines`).evaluate((viewLines) =>
    [...viewLines.querySelectorAll(':scope > .view-line')]
      .map((line) => ({ top: Number.parseFloat(line.style.top), text: line.textContent ?? '' }))
      .sort((a, b) => a.top - b.top)
      .map((line) => line.text.replace(/\u00a0/g, ' ')),
  );
}

export async function save(page) {
  await page.keyboard.press('Control+S');
  await page
    .locator('.editor-group-container.active .tab.active.dirty')
    .waitFor({ state: 'detached', timeout: 10_000 });
}
