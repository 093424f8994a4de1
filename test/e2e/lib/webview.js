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

/** The graph editor's frame for the active document, opening it with "Reopen Editor With" if it opened as text. */
async function graphFrame(W, page, log) {
  const end = Date.now() + 30000;
  while (Date.now() < end) {
    try {
      return await W.frameWith(page, '#graph-root', 2000);
    } catch {
      if (await W.activeIsTextEditor(page)) break; // opened as text: no point waiting for the webview
    }
  }
  log('the file opened as text, not in the graph editor; using "Reopen Editor With..."');
  await W.runCommand(page, 'View: Reopen Editor With...', { log });
  await W.pickQuickItem(page, /graph/i);
  return W.frameWith(page, '#graph-root', 30000);
}

/**
 * Readability of the graph drawing, measured in its frame: the smallest drawn text in CSS pixels
 * (font size x zoom), how much of the canvas the drawing fills (the larger of its width and height
 * shares), and the canvas and inspector boxes.
 */
function graphReadability(frame) {
  return frame.evaluate(() => {
    const texts = [...document.querySelectorAll('#graph-canvas svg text')].filter((t) => t.textContent.trim() && t.getBoundingClientRect().width > 0);
    const minTextPx = Math.min(...texts.map((t) => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a));
    const c = document.querySelector('#graph-canvas').getBoundingClientRect();
    const d = document.querySelector('#graph-canvas svg g.viewport').getBoundingClientRect();
    const ins = document.querySelector('#inspector').getBoundingClientRect();
    const root = document.querySelector('#graph-root').getBoundingClientRect();
    return {
      minTextPx, fill: Math.max(d.width / c.width, d.height / c.height), texts: texts.length,
      canvas: { w: Math.round(c.width), h: Math.round(c.height) }, inspector: { w: Math.round(ins.width), h: Math.round(ins.height) },
      root: { w: Math.round(root.width), h: Math.round(root.height) },
    };
  });
}

/**
 * WCAG contrast ratio of CSS rgb()/rgba() colour `a` drawn over the opaque background `b` (a
 * translucent `a` is composited over `b` first: a 33 % orange on white is a pale peach).
 */
function contrast(a, b) {
  const rgba = (c) => { const v = (c.match(/[\d.]+/g) || ['0', '0', '0']).map(Number); return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
  const [fr, fg, fb, fa] = rgba(a);
  const [br, bg, bb] = rgba(b);
  a = `rgb(${fr * fa + br * (1 - fa)}, ${fg * fa + bg * (1 - fa)}, ${fb * fa + bb * (1 - fa)})`;
  const lum = (c) => {
    const [r, g, bl] = (c.match(/[\d.]+/g) || ['0', '0', '0']).slice(0, 3).map(Number).map((v) => {
      const x = v / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

module.exports = { centre, drag, setField, findInTextEditor, found, graphFrame, graphReadability, contrast };
