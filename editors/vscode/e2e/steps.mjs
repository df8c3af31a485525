// The end-to-end steps, in the order a user meets the features. Each step throws on failure,
// or throws Skip when the server does not offer the feature yet (or has no model to run it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ACTIVE_EDITOR,
  editorLines,
  focusEditor,
  openFile,
  retry,
  runCommand,
  save,
  sleep,
  waitForWorkbench,
  waitUntil,
} from './lib/workbench.mjs';

export class Skip extends Error {}

export const FIX_FILE_COMMAND = 'codegpt.fixFile';

/** What the ghost-text step types at the end of ghost.py (autoIndent is off: indents are typed). */
const TYPED = [
  'def mean(values: list[float]) -> float:',
  '    """Arithmetic mean of the values."""',
  '    return ',
];

/** The ghost text on screen: the inline part on the cursor line plus any lines shown below it. */
async function ghostText(page) {
  return page.locator(ACTIVE_EDITOR).evaluate((editor) => {
    const text = (element) => (element.textContent ?? '').replace(/\u00a0/g, ' ');
    const inline = [...editor.querySelectorAll('.view-lines .ghost-text-decoration, .view-lines .ghost-text-decoration-preview')]
      .map(text)
      .join('');
    // Further lines live in a view zone (VS Code 1.100: .suggest-preview-text), one .view-line each.
    const below = [...editor.querySelectorAll('.view-zones .suggest-preview-text > .view-line')]
      .map((line) => ({ top: Number.parseFloat(line.style.top), text: text(line) }))
      .sort((a, b) => a.top - b.top)
      .map((line) => line.text);
    return [inline, ...below].join('\n');
  });
}

export function steps({ workspace, expectedDir, capabilities, ghostScreenshot }) {
  const read = (name) => fs.readFileSync(path.join(workspace, name), 'utf8');
  return [
    {
      name: 'workbench opens the workspace and a Python file',
      async run(page, url) {
        // The workbench loads many scripts; on a busy machine "load" alone can take 15 s.
        await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`, {
          waitUntil: 'domcontentloaded',
          timeout: 60_000,
        });
        await waitForWorkbench(page);
        await openFile(page, 'ghost.py');
        const lines = await editorLines(page);
        if (!lines.some((line) => line.startsWith('def hypotenuse('))) {
          throw new Error(`ghost.py shows unexpected text: ${JSON.stringify(lines)}`);
        }
      },
    },
    {
      name: 'syntax error is underlined and listed in Problems from source codegpt',
      async run(page) {
        await openFile(page, 'broken.py');
        // Activation starts the server on first use: allow for its imports on a loaded machine.
        await page.locator(`${ACTIVE_EDITOR} .squiggly-error`).first().waitFor({ state: 'attached', timeout: 60_000 });
        await retry('show Problems', async () => {
          await page.keyboard.press('Control+Shift+M');
          const row = page.locator('.markers-panel .monaco-list-row').filter({ hasText: 'codegpt' }).first();
          await row.waitFor({ state: 'visible', timeout: 10_000 });
          const text = await row.innerText();
          if (!/expected ':'/.test(text) || !/\[Ln 4, Col \d+\]/.test(text)) {
            throw new Error(`unexpected Problems row: ${JSON.stringify(text)}`);
          }
        });
        await page.keyboard.press('Control+Shift+M');
      },
    },
    {
      name: 'ghost text appears and Tab inserts exactly the suggestion',
      async run(page) {
        if (!capabilities.inlineCompletion) {
          throw new Skip('the server does not offer inline completion yet (no inlineCompletionProvider)');
        }
        if (capabilities.modelProblem) {
          throw new Skip(`the server has no model to suggest with: ${capabilities.modelProblem}`);
        }
        await openFile(page, 'ghost.py');
        await page.keyboard.press('Control+End');
        for (const [index, line] of TYPED.entries()) {
          await page.keyboard.type(line, { delay: 15 });
          if (index < TYPED.length - 1) {
            await page.keyboard.press('Enter');
          }
        }
        // Save what was typed, so the accepted suggestion can be measured on disk.
        await save(page);
        const before = read('ghost.py');
        if (!before.endsWith(TYPED.join('\n'))) {
          throw new Error(`typing did not give the expected text:\n${before}`);
        }
        const ghost = await retry(
          'wait for ghost text',
          async (attempt) => {
            if (attempt > 1) {
              // Saving or a slow first answer can drop the automatic request: ask explicitly.
              await focusEditor(page);
              await page.keyboard.press('Control+End');
              await page.keyboard.press('Alt+Backslash');
            }
            return waitUntil(
              'ghost text',
              async () => {
                const text = await ghostText(page);
                return text.trim() === '' ? '' : text;
              },
              { timeoutMs: 20_000 },
            );
          },
          { attempts: 3 },
        );
        // A moment for the view zone of a multi-line suggestion to be laid out before the picture.
        await sleep(300);
        const shown = await ghostText(page);
        await page.screenshot({ path: ghostScreenshot });
        await page.keyboard.press('Tab');
        // Not "until the ghost text is gone": the accepted edit may well bring the next suggestion.
        await page.locator('.editor-group-container.active .tab.active.dirty').waitFor({ state: 'visible', timeout: 5000 });
        await save(page);
        const after = read('ghost.py');
        if (!after.startsWith(before)) {
          throw new Error(`accepting changed text before the cursor:\n--- before\n${before}\n--- after\n${after}`);
        }
        const inserted = after.slice(before.length);
        // Trailing spaces of a rendered line are not reliable in the DOM; compare without them.
        const normal = (text) => text.replace(/[ \t]+$/gm, '');
        if (normal(inserted) !== normal(shown)) {
          throw new Error(
            `Tab inserted ${JSON.stringify(inserted)} but the ghost text was ${JSON.stringify(shown)} (first seen: ${JSON.stringify(ghost)})`,
          );
        }
        console.log(`  accepted suggestion: ${JSON.stringify(inserted)}`);
      },
    },
    {
      name: 'codegpt: Fix File repairs the broken file',
      async run(page) {
        if (!capabilities.commands.includes(FIX_FILE_COMMAND)) {
          throw new Skip(`the server does not offer ${FIX_FILE_COMMAND} yet (not in executeCommandProvider.commands)`);
        }
        const expected = fs.readFileSync(path.join(expectedDir, 'broken.py'), 'utf8');
        await openFile(page, 'broken.py');
        await runCommand(page, 'codegpt: Fix File');
        // The fix arrives as an edit of the open buffer (or of the file, which VS Code reloads).
        // A final newline shows as an empty last line.
        const expectedLines = expected.split('\n');
        await waitUntil(
          'the fixed text in the editor',
          async () => JSON.stringify(await editorLines(page)) === JSON.stringify(expectedLines),
          { timeoutMs: 30_000 },
        );
        await focusEditor(page);
        if (await page.locator('.editor-group-container.active .tab.active.dirty').count()) {
          await save(page);
        }
        const fixed = read('broken.py');
        if (fixed !== expected) {
          throw new Error(`broken.py on disk after Fix File:\n${fixed}\nexpected:\n${expected}`);
        }
        await waitUntil(
          'the syntax error squiggle to go away',
          async () => (await page.locator(`${ACTIVE_EDITOR} .squiggly-error`).count()) === 0,
          { timeoutMs: 15_000 },
        );
      },
    },
  ];
}
