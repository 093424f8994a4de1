// Issue 3, the file as a first-class citizen, as a user: train the quick sample -> hover a task id
// and an arrow id in the text: a table of the last runs -> type a bad value (iterations 0) -> the
// Problems panel shows the validate() error at the right line, live, before any save -> undo -> the
// problem goes. The file on disk is never touched. Then the data checks: point data.path at a copy of
// the CSV with a word in a numeric column -> Problems shows `file:line:col ... is not a number` at
// data.features[0] (500 ms after the edit, as fmtl validate says it) -> type the path back: it goes.
'use strict';
const fs = require('fs');
const path = require('path');
const { runsOf } = require('../lib/runs');
const { hasCommand, missingFiles } = require('../lib/contributes');

/** 1-based line and column of the first match of `rx` in `text` (column of capture group 1 if any). */
function locate(text, rx) {
  const m = rx.exec(text);
  if (!m) throw new Error(`${rx} not found in the experiment file`);
  const at = m.index + (m[1] !== undefined ? m[0].indexOf(m[1]) : 0);
  const before = text.slice(0, at).split('\n');
  return { line: before.length, col: before[before.length - 1].length + 1 };
}

/** Put the cursor at line:col with "Go to Line/Column" (Ctrl+G). */
async function gotoPos(W, page, { line, col }, log) {
  await W.runCommand(page, 'Go to Line/Column...', { log });
  const input = page.locator('.quick-input-widget input[type="text"]');
  await input.fill(`:${line}:${col}`);
  await page.keyboard.press('Enter');
  await page.waitForTimeout(200);
}

/** The text of the visible editor hover, after "Show or Focus Hover" at the cursor. */
async function hoverAtCursor(W, page, log) {
  await W.runCommand(page, 'Show or Focus Hover', { log });
  const hover = page.locator('.monaco-editor .monaco-hover:not(.hidden)').first();
  await hover.waitFor({ timeout: 10000 });
  return hover.innerText();
}

/** Rows of the Problems panel. */
async function problemRows(page) {
  return page.locator('.markers-panel .monaco-list-row').allInnerTexts().catch(() => []);
}

module.exports = {
  settings: { 'workbench.editorAssociations': { '*.fmtl.json': 'default' } },

  skip({ repo, pkg }) {
    if (!hasCommand(pkg, 'feedbackMtl.train')) return 'command feedbackMtl.train not contributed';
    return missingFiles(repo, ['src/insights/hover.ts', 'src/insights/diagnostics.ts']);
  },

  async run({ s, W, page, files, log }) {
    const ws = s.ws;
    const file = files.quick;
    const onDisk = fs.readFileSync(path.join(ws, file), 'utf8');

    // ---- 1. a finished run, so the hover has figures ------------------------------------------
    await W.openFile(page, file, log);
    await W.ensureTextEditor(page, file, log);
    await W.runCommand(page, 'Feedback MTL: Train feedback MTL', { log });
    const run = await W.until(page, async () => runsOf(ws, file).find((r) => ['completed', 'early-stopped'].includes(r.status)),
      'a finished run of the quick sample', 90000, 200);
    log(`run ${path.basename(run.dir)} ${run.status}`);
    await W.clearNotifications(page, log);
    await W.ensureTextEditor(page, file, log);

    // ---- 2. hover a task id and an arrow id ---------------------------------------------------
    const task = (files.experiment.tasks || [])[0].id;
    await gotoPos(W, page, locate(onDisk, new RegExp(`"id":\\s*"(${task})"`)), log);
    const taskHover = await W.until(page, async () => {
      const t = await hoverAtCursor(W, page, log);
      return t.includes(`Task ${task}`) && /completed|early-stopped/.test(t) && /\d/.test(t) ? t : null;
    }, `a hover on task ${task} with the last runs`, 30000, 1000);
    log('task hover:', JSON.stringify(taskHover));
    await s.shot('hover-task');
    await page.keyboard.press('Escape');

    const arrow = (files.experiment.feedback || [])[0];
    if (arrow) {
      await gotoPos(W, page, locate(onDisk, new RegExp(`"id":\\s*"(${arrow.id})"`)), log);
      const arrowHover = await W.until(page, async () => {
        const t = await hoverAtCursor(W, page, log);
        return t.includes(`Feedback ${arrow.id}`) && /block \d/.test(t) ? t : null;
      }, `a hover on arrow ${arrow.id} with the gate per run`, 30000, 1000);
      log('arrow hover:', JSON.stringify(arrowHover));
      await page.keyboard.press('Escape');
    }

    // ---- 3. type a bad value: the Problems panel shows it live, at its line --------------------
    const pos = locate(onDisk, /"iterations":\s*(\d+)/);
    const digits = /"iterations":\s*(\d+)/.exec(onDisk)[1].length;
    await gotoPos(W, page, pos, log);
    for (let i = 0; i < digits; i++) await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.type('0');
    await W.runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)', { log })
      .catch(() => W.runCommand(page, 'View: Toggle Problems (Errors, Warnings, Infos)', { log }));
    const problem = await W.until(page, async () => (await problemRows(page)).find((r) => /iterations K must be an integer >= 1/.test(r)),
      'the Problems panel to show the iterations error', 20000, 300)
      .catch(async (e) => { throw new Error(`${e.message}; rows: ${JSON.stringify(await problemRows(page))}`); });
    log('problem:', JSON.stringify(problem));
    if (!new RegExp(`\\b${pos.line}\\b`).test(problem)) throw new Error(`the problem is not at line ${pos.line}: ${problem}`);
    const squiggles = await page.locator('.monaco-editor .squiggly-error').count();
    if (!squiggles) throw new Error('no error squiggle in the editor');
    await s.shot('problems');
    if (fs.readFileSync(path.join(ws, file), 'utf8') !== onDisk) throw new Error('the file on disk changed before any save');

    // ---- 4. undo: the problem goes -----------------------------------------------------------
    await W.ensureTextEditor(page, file, log);
    await page.keyboard.press('Control+Z');
    await W.until(page, async () => !(await problemRows(page)).some((r) => /iterations K must be/.test(r)),
      'the iterations problem to go after undo', 20000, 300);
    log('undo cleared the problem');

    // ---- 5. data checks: a non-numeric cell in the CSV data.path names -------------------------
    const csv = fs.readFileSync(path.join(ws, 'penguins.csv'), 'utf8').split('\n');
    const row = csv.findIndex((l, i) => i > 0 && /^[^,]+,[^,]+,\d/.test(l)); // a row with bill_length_mm
    const cells = csv[row].split(',');
    const col = cells[0].length + cells[1].length + 3; // 1-based column of the third field
    cells[2] = 'abc';
    csv[row] = cells.join(',');
    fs.writeFileSync(path.join(ws, 'penguins-bad.csv'), csv.join('\n'));
    const valuePos = locate(onDisk, /"path":\s*"(penguins\.csv)"/);
    const featurePos = locate(onDisk, /"features":\s*\[\s*"(bill_length_mm)"/);
    await W.ensureTextEditor(page, file, log);
    await gotoPos(W, page, valuePos, log);
    for (let i = 0; i < 'penguins.csv'.length; i++) await page.keyboard.press('Shift+ArrowRight');
    const typed = Date.now();
    await page.keyboard.type('penguins-bad.csv');
    const expected = new RegExp(`penguins-bad\\.csv:${row + 1}:${col}: column 'bill_length_mm': 'abc' is not a number`);
    const dataProblem = await W.until(page, async () => (await problemRows(page)).find((r) => expected.test(r)),
      'the Problems panel to show the non-numeric cell', 20000, 100)
      .catch(async (e) => { throw new Error(`${e.message}; rows: ${JSON.stringify(await problemRows(page))}`); });
    log(`data problem after ${Date.now() - typed} ms (typing included):`, JSON.stringify(dataProblem));
    if (!/data\.features\[0\]/.test(dataProblem)) throw new Error(`the data problem is not at data.features[0]: ${dataProblem}`);
    if (!new RegExp(`\\b${featurePos.line}\\b`).test(dataProblem)) throw new Error(`the data problem is not at line ${featurePos.line}: ${dataProblem}`);
    await s.shot('problems-data');
    await W.ensureTextEditor(page, file, log);
    await gotoPos(W, page, valuePos, log);
    for (let i = 0; i < 'penguins-bad.csv'.length; i++) await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.type('penguins.csv');
    await W.until(page, async () => !(await problemRows(page)).some((r) => /is not a number/.test(r)),
      'the data problem to go with the path typed back', 20000, 300);
    log('the data problem went with the path typed back');
    if (fs.readFileSync(path.join(ws, file), 'utf8') !== onDisk) throw new Error('the file on disk changed before any save');
  },
};
