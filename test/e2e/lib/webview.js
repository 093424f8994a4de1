// Helpers for the project's webviews (graph editor, charts) and for checking the text side.
'use strict';

/** Centre of an element inside a (nested) webview frame, in page coordinates. */
async function centre(frame, selector) {
  const box = await frame.locator(selector).first().boundingBox();
  if (!box) throw new Error(`${selector} has no box (not rendered / hidden)`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Mouse drag from one element's centre to another's, with intermediate moves (d3-drag needs them). */
async function drag(page, frame, fromSel, toSel) {
  const a = await centre(frame, fromSel);
  const b = await centre(frame, toSel);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(a.x + 4, a.y + 4, { steps: 2 });
  await page.mouse.move(b.x, b.y, { steps: 15 });
  await page.waitForTimeout(100);
  await page.mouse.up();
}

/**
 * Set an inspector field like a user: focus the control (a native input/select, or a
 * `vscode-elements` control whose real <input> sits in its shadow root), replace the text, commit with
 * Enter. Returns the value the control shows afterwards.
 */
async function setField(frame, selector, value) {
  const host = frame.locator(selector).first();
  await host.waitFor({ timeout: 15000 });
  const tag = await host.evaluate((e) => e.tagName.toLowerCase());
  if (tag === 'select') {
    await host.selectOption(String(value));
  } else if (tag === 'input' || tag === 'textarea') {
    await host.fill(String(value));
    await host.press('Enter');
  } else if (/single-select/.test(tag)) {
    // vscode-single-select: open it and click the option
    await host.click();
    await frame.locator(`${selector} vscode-option, vscode-option`, { hasText: String(value) }).first().click();
  } else {
    // vscode-textfield & co.: Playwright's CSS pierces open shadow roots
    const inner = frame.locator(`${selector} input`).first();
    await inner.fill(String(value));
    await inner.press('Enter');
  }
  await frame.waitForTimeout(200);
  return host.evaluate((e) => String(e.value ?? ''));
}

/**
 * Search the text editor in `groupIndex` (0-based editor group) with the Find widget for `text`;
 * returns the widget's match count text (e.g. "1 of 1" or "No results"). The editor scrolls to the
 * match, so a screenshot right after shows it.
 */
async function findInTextEditor(page, groupIndex, text) {
  const W = require('./workbench');
  const group = page.locator('.editor-group-container').nth(groupIndex);
  const editor = group.locator('.editor-instance .monaco-editor').first();
  await editor.waitFor({ timeout: 15000 });
  // focus by command, not by a click: a webview beside may sit over the editor for pointer events
  await W.focusGroup(page, groupIndex);
  await page.keyboard.press('Control+F');
  const input = group.locator('.find-widget textarea, .find-widget .input').first();
  await input.waitFor({ timeout: 5000 });
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text);
  await page.waitForTimeout(400);
  const count = (await group.locator('.find-widget .matchesCount').first().innerText().catch(() => '')).trim();
  await page.keyboard.press('Escape');
  return count;
}

/** Does a find-widget count mean at least one match? */
const found = (count) => !!count && !/no results/i.test(count) && !/^0\b/.test(count);

module.exports = { centre, drag, setField, findInTextEditor, found };
