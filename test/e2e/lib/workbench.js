// Helpers that drive the VS Code workbench (code-server) in chromium like a user would:
// command palette, quick open, notifications, status bar, CodeLens, side-bar trees, webview frames.
// Every wait is bounded and every failure says what it was waiting for.
'use strict';

const PALETTE_INPUT = '.quick-input-widget input[type="text"]';
const PALETTE_ROW = '.quick-input-list .monaco-list-row';

/** Escape a string for use inside a RegExp. */
function reEscape(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Resolve to true/false instead of throwing when a locator does not reach `state` in time. */
function appears(locator, timeout, state = 'visible') {
  return locator.waitFor({ state, timeout }).then(() => true, () => false);
}

/** Wait until the workbench is up and the Explorer lists `fileName` (remote connection done). */
async function waitWorkbench(page, fileName, timeoutMs = 90000) {
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: fileName }).first()
    .waitFor({ timeout: timeoutMs });
}

/** Move keyboard focus out of a webview iframe (F1 typed inside a webview never reaches the workbench). */
async function blurWebview(page) {
  await page.evaluate(() => {
    const a = document.activeElement;
    if (a && a.tagName === 'IFRAME') a.blur();
  }).catch(() => {});
}

/** Open the command palette with F1, retrying: the first key after a webview took focus can be swallowed. */
async function openPalette(page, log) {
  const input = page.locator(PALETTE_INPUT);
  for (let i = 0; i < 10; i++) {
    await blurWebview(page);
    await page.keyboard.press('F1');
    if (i > 0 && log) log(`palette retry ${i}`);
    if (await appears(input, 1500)) return input;
    await page.keyboard.press('Escape');
    // a real click on the active editor tab (or the status bar) puts focus back into the workbench
    const tab = page.locator('.tabs-container .tab.active').first();
    if (await tab.count()) await tab.click().catch(() => {});
    else await page.locator('.part.statusbar').click({ position: { x: 5, y: 5 } }).catch(() => {});
  }
  throw new Error('command palette did not open after 10 tries');
}

/**
 * Run a command from the palette by its title (optionally `Category: Title`). Contributed commands
 * appear only once the extension host has scanned extensions, so reopen the palette until the row
 * shows. The row is clicked (not Enter) so fuzzy ranking cannot pick a neighbour. Returns the
 * Date.now() at which the command was invoked (for latency measurements).
 */
async function runCommand(page, label, { timeoutMs = 60000, log } = {}) {
  const end = Date.now() + timeoutMs;
  // the row's label is exactly "Category: Title" (keybinding and "recently used" sit elsewhere)
  const rx = new RegExp('^\\s*' + reEscape(label) + '\\s*$', 'i');
  const row = page.locator(PALETTE_ROW).filter({ has: page.locator('.label-name', { hasText: rx }) }).first();
  for (let attempt = 1; ; attempt++) {
    const input = await openPalette(page, log);
    // a webview that finishes booting takes focus, which closes the palette under the typing
    const typed = await input.fill('>' + label, { timeout: 5000 }).then(() => true, () => false);
    if (typed && await appears(row, 3000)) break;
    if (Date.now() > end) {
      const rows = await page.locator(PALETTE_ROW).allInnerTexts().catch(() => []);
      await page.keyboard.press('Escape');
      throw new Error(`command "${label}" not in the palette after ${timeoutMs} ms; rows: ${JSON.stringify(rows.slice(0, 8))}`);
    }
    if (log) log(typed ? `command "${label}" not in palette yet (attempt ${attempt}), retrying` : `the palette closed before "${label}" was typed (attempt ${attempt}), reopening`);
    await page.keyboard.press('Escape');
    await page.waitForTimeout(1000);
  }
  const at = Date.now();
  await row.click();
  return at;
}

/**
 * Wait until the (remote) extension host has scanned our extension: its first contributed command
 * shows in the palette. Until then VS Code does not know our custom editor either, and a
 * *.fmtl.json opened too early lands in the text editor.
 */
async function waitCommandInPalette(page, label, { timeoutMs = 60000, log } = {}) {
  const rx = new RegExp('^\\s*' + reEscape(label) + '\\s*$', 'i');
  const row = page.locator(PALETTE_ROW).filter({ has: page.locator('.label-name', { hasText: rx }) }).first();
  const end = Date.now() + timeoutMs;
  for (;;) {
    const input = await openPalette(page, log);
    await input.fill('>' + label);
    const ok = await appears(row, 2000);
    await page.keyboard.press('Escape');
    if (ok) return;
    if (Date.now() > end) throw new Error(`"${label}" not in the command palette after ${timeoutMs} ms (extension not loaded?)`);
    await page.waitForTimeout(500);
  }
}

/** If a quick pick is open, choose the row whose label matches `text` (string or RegExp). */
async function pickQuickItem(page, text, timeoutMs = 10000) {
  const row = page.locator(PALETTE_ROW, { hasText: text }).first();
  await row.waitFor({ timeout: timeoutMs });
  await row.click();
}

/** Is a quick input (palette or a command's quick pick) visible right now? */
async function quickInputVisible(page) {
  return page.locator('.quick-input-widget').isVisible().catch(() => false);
}

/**
 * Open a workspace file like a user: double-click it in the Explorer (the e2e files sit at the
 * workspace root), else Quick Open (Ctrl+P) — whose file search can be slow on a cold start.
 */
async function openFile(page, fileName, log) {
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: fileName }).first();
  if (await appears(row, 2000)) {
    await row.dblclick();
    return 'explorer';
  }
  const input = await openPalette(page, log);
  await input.fill(fileName); // no '>' prefix = Go to File
  const pick = page.locator(PALETTE_ROW, { hasText: fileName }).first();
  await pick.waitFor({ timeout: 20000 });
  await pick.click();
  return 'quick-open';
}

/** Active editor tab title. */
async function activeTabTitle(page) {
  const tab = page.locator('.editor-group-container.active .tabs-container .tab.active').first();
  return (await tab.count()) ? (await tab.innerText()).trim() : '';
}

/** True if the active editor group shows a text editor (Monaco) rather than a webview/custom editor. */
async function activeIsTextEditor(page) {
  return page.locator('.editor-group-container.active .editor-instance .monaco-editor').first().isVisible().catch(() => false);
}

/**
 * Make sure `fileName` is open in the plain text editor in the active group: if it opened in a
 * custom editor (the graph editor is the default for *.fmtl.json), reopen it with "Text Editor".
 */
async function ensureTextEditor(page, fileName, log) {
  await page.locator('.editor-group-container.active .tab.active', { hasText: fileName }).first().waitFor({ timeout: 20000 });
  for (let i = 0; i < 20 && !(await activeIsTextEditor(page)); i++) {
    if (i === 4) {
      if (log) log(`${fileName} did not open as text; reopening with the Text Editor`);
      await runCommand(page, 'View: Reopen Editor With...', { log });
      await pickQuickItem(page, /^\s*Text Editor/);
    }
    await page.waitForTimeout(500);
  }
  if (!(await activeIsTextEditor(page))) throw new Error(`${fileName} is not shown in a text editor`);
}

/** Focus editor group `i` (0-based, in layout order) with the palette's "View: Focus First/Next Editor Group". */
async function focusGroup(page, i, log) {
  await runCommand(page, 'View: Focus First Editor Group', { log });
  for (let k = 0; k < i; k++) await runCommand(page, 'View: Focus Next Editor Group', { log });
  await page.waitForTimeout(200);
}

/** Texts of the notification toasts currently shown. */
async function notificationTexts(page) {
  return page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts().catch(() => []);
}

/**
 * Messages of toasts that are progress notifications (their progress bar is showing), e.g. a
 * `withProgress` notification — as opposed to an info message with the same prefix.
 */
async function progressToastTexts(page) {
  // the progress bar sits beside .notification-list-item inside the list row; 'active' while running
  return page.locator('.notifications-toasts .monaco-list-row').evaluateAll((rows) => rows
    .filter((r) => [...r.querySelectorAll('.monaco-progress-container')].some((p) => p.classList.contains('active') && getComputedStyle(p).display !== 'none'))
    .map((r) => (r.querySelector('.notification-list-item-message')?.innerText || '').trim()));
}

/** Wait for a notification toast whose message matches `text`; returns its text. */
async function waitNotification(page, text, timeoutMs = 30000) {
  const loc = page.locator('.notifications-toasts .notification-list-item-message', { hasText: text }).first();
  try {
    await loc.waitFor({ timeout: timeoutMs });
  } catch {
    throw new Error(`no notification matching ${text} within ${timeoutMs} ms; shown: ${JSON.stringify(await notificationTexts(page))}`);
  }
  return (await loc.innerText().catch(() => '')).trim();
}

/** Dismiss all notification toasts (so later screenshots/waits are not confused by old ones). */
async function clearNotifications(page, log) {
  await runCommand(page, 'Notifications: Clear All Notifications', { log }).catch(() => {});
}

/** Status bar items: their visible text and aria-label (codicons like $(pulse) render as icons). */
async function statusBarItems(page) {
  return page.locator('.part.statusbar .statusbar-item').evaluateAll((els) => els.map((e) => ({
    id: e.id || '',
    text: (e.innerText || '').trim(),
    aria: e.getAttribute('aria-label') || (e.querySelector('[aria-label]')?.getAttribute('aria-label')) || '',
    icons: [...e.querySelectorAll('.codicon')].map((c) => [...c.classList].find((k) => k.startsWith('codicon-') && k !== 'codicon-modifier-spin') || ''),
  })));
}

/** CodeLens texts in the visible text editor(s), top to bottom. */
async function codeLensTexts(page) {
  return page.locator('.editor-group-container .monaco-editor .codelens-decoration').evaluateAll((els) => els
    .map((e) => ({ top: e.getBoundingClientRect().top, text: (e.innerText || '').replace(/\s+/g, ' ').trim() }))
    .sort((a, b) => a.top - b.top).map((x) => x.text).filter(Boolean));
}

/**
 * CodeLens texts of the whole file in the active text editor: Monaco renders only the visible lines,
 * so page through the file from the top and collect (deduplicated, in order).
 */
async function codeLensTextsAll(page) {
  const editor = page.locator('.editor-group-container.active .editor-instance .monaco-editor').first();
  await editor.locator('.view-lines').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+Home');
  await page.waitForTimeout(300);
  const seen = [];
  let lastTop = null;
  for (let i = 0; i < 60; i++) {
    for (const t of await codeLensTexts(page)) if (!seen.includes(t)) seen.push(t);
    const top = await editor.locator('.line-numbers').first().innerText().catch(() => '');
    if (top === lastTop) break;
    lastTop = top;
    await page.keyboard.press('PageDown');
    await page.waitForTimeout(250);
  }
  await page.keyboard.press('Control+Home');
  return seen;
}

/** Rows of the tree/list views in the primary side bar (innerText + aria-label). */
async function sideBarRows(page) {
  return page.locator('.part.sidebar .monaco-list-row').evaluateAll((els) => els.map((e) =>
    ((e.innerText || '').replace(/\s+/g, ' ').trim() + ' | ' + (e.getAttribute('aria-label') || '')).trim()));
}

/** Poll every frame (webviews are nested iframes) for one containing `selector`. */
async function frameWith(page, selector, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    for (const f of page.frames()) {
      try {
        if (await f.$(selector)) return f;
      } catch { /* frame detached while probing */ }
    }
    await page.waitForTimeout(200);
  }
  throw new Error(`no frame containing ${selector} within ${timeoutMs} ms`);
}

/** An error that ends an `until` wait at once (e.g. the run it waits for has failed). */
class Fatal extends Error {}

/**
 * Wait for `predicate()` (async, truthy result) to hold, polling; returns its value or throws `what`.
 * Errors thrown by the predicate are retried (the DOM may be mid-update) unless they are `Fatal`.
 */
async function until(page, predicate, what, timeoutMs = 30000, everyMs = 100) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await predicate();
      if (last) return last;
    } catch (e) {
      if (e instanceof Fatal) throw e;
      last = e;
    }
    await page.waitForTimeout(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` + (last instanceof Error ? ` (last error: ${last.message})` : ''));
}

module.exports = {
  reEscape, appears, waitWorkbench, blurWebview, openPalette, runCommand, waitCommandInPalette, pickQuickItem, quickInputVisible,
  openFile, activeTabTitle, focusGroup, activeIsTextEditor, ensureTextEditor, notificationTexts, progressToastTexts, waitNotification,
  clearNotifications, statusBarItems, codeLensTexts, codeLensTextsAll, sideBarRows, frameWith, until, Fatal,
};
