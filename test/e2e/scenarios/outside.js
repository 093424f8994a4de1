// Issue 12, item 10, as a user: an experiment in the workspace whose data lies outside it
// (`../outside-data/penguins.csv`). "Train feedback MTL" asks first, in a modal naming the resolved
// file; Cancel starts nothing (no run folder, no progress); "Always for this experiment" trains, and
// the next Train of the same experiment is not asked again. The shipped sample (data inside) trains
// without a question.
'use strict';
const fs = require('fs');
const path = require('path');
const { listRuns, runsOf } = require('../lib/runs');
const { hasCommand } = require('../lib/contributes');

const CAT = 'Feedback MTL';
const FILE = 'outside.fmtl.json';

const dialog = (page) => page.locator('.monaco-dialog-box').first();

async function train(W, page, log) {
  await W.runCommand(page, `${CAT}: Train feedback MTL`, { log });
}

/** The modal's text, once it shows (null if none within `ms`). */
async function dialogText(W, page, ms) {
  if (!(await W.appears(dialog(page), ms))) return null;
  return (await dialog(page).innerText()).replace(/\s+/g, ' ');
}

async function clickDialog(page, label) {
  await dialog(page).locator('.dialog-buttons a.monaco-button, .dialog-buttons .monaco-button', { hasText: label }).first().click();
}

async function finished(W, page, ws, before, what) {
  const run = await W.until(page, async () => runsOf(ws, FILE).find((r) => !before.includes(r.dir)), `a new run folder for ${what}`, 60000, 200);
  return W.until(page, () => {
    const r = listRuns(ws).find((x) => x.dir === run.dir);
    if (r && (r.status === 'failed' || r.status === 'error')) throw new W.Fatal(`run ${r.name} failed: ${r.error || ''}`);
    return r && r.status !== 'running' ? r : null;
  }, `${what} to finish`, 240000, 200);
}

module.exports = {
  settings: { 'workbench.editorAssociations': { '*.fmtl.json': 'default' }, 'feedbackMtl.charts.openOnTrain': false },

  skip({ pkg }) {
    return hasCommand(pkg, 'feedbackMtl.train') ? null : 'command feedbackMtl.train not contributed';
  },

  async run({ s, W, page, files, log }) {
    const ws = s.ws;
    // Data beside the workspace folder, the experiment inside it.
    const outsideDir = path.join(path.dirname(ws), 'outside-data');
    fs.mkdirSync(outsideDir, { recursive: true });
    fs.copyFileSync(path.join(ws, 'penguins.csv'), path.join(outsideDir, 'penguins.csv'));
    const resolved = path.join(fs.realpathSync(outsideDir), 'penguins.csv');
    const exp = JSON.parse(fs.readFileSync(path.join(ws, files.quick), 'utf8'));
    exp.name = 'outside';
    exp.data.path = '../outside-data/penguins.csv';
    exp.training.epochs = 1;
    fs.writeFileSync(path.join(ws, FILE), JSON.stringify(exp, null, 2) + '\n');

    // ---- 1. the shipped sample's data is inside: no question ---------------------------------
    await W.openFile(page, files.quick, log);
    await W.ensureTextEditor(page, files.quick, log);
    const before0 = listRuns(ws).map((r) => r.dir);
    await train(W, page, log);
    const asked0 = await dialogText(W, page, 2500);
    if (asked0) throw new Error(`the shipped sample asked: ${asked0}`);
    await W.until(page, async () => listRuns(ws).find((r) => !before0.includes(r.dir) && r.status !== 'running'), 'the sample run to finish', 240000, 200);
    await W.until(page, async () => !(await W.progressToastTexts(page)).some((t) => /^Feedback MTL:/.test(t)), 'the progress notification to go', 30000, 200);
    log('the sample trained without a question');

    // ---- 2. outside data: the modal names the resolved file; Cancel starts nothing ------------
    await W.openFile(page, FILE, log);
    await W.ensureTextEditor(page, FILE, log);
    const t0 = Date.now();
    await train(W, page, log);
    const text = await dialogText(W, page, 20000);
    if (!text) throw new Error('no confirmation before reading data outside the workspace');
    s.measure('commandToDialog', Date.now() - t0);
    log('dialog:', text);
    if (!text.includes(resolved)) throw new Error(`the dialog does not name ${resolved}: ${text}`);
    for (const b of ['Read once', 'Always for this experiment', 'Cancel']) if (!text.includes(b)) throw new Error(`no '${b}' button: ${text}`);
    await s.shot('dialog');
    await clickDialog(page, 'Cancel');
    await page.waitForTimeout(3000);
    if (runsOf(ws, FILE).length) throw new Error('Cancel started a run');
    if ((await W.progressToastTexts(page)).some((t) => /^Feedback MTL:/.test(t))) throw new Error('Cancel left a progress notification');
    log('Cancel: no run folder, no progress');

    // ---- 3. Always for this experiment: trains --------------------------------------------------
    await train(W, page, log);
    if (!(await dialogText(W, page, 20000))) throw new Error('no confirmation the second time (Cancel must not remember)');
    await clickDialog(page, 'Always for this experiment');
    const first = await finished(W, page, ws, [], 'the confirmed run');
    if (!['completed', 'early-stopped'].includes(first.status)) throw new Error(`confirmed run ended ${first.status}`);
    await W.until(page, async () => !(await W.progressToastTexts(page)).some((t) => /^Feedback MTL:/.test(t)), 'the progress notification to go', 30000, 200);
    log(`confirmed run ${first.name}: ${first.status}`);

    // ---- 4. remembered: the next Train is not asked --------------------------------------------
    await W.clearNotifications(page, log);
    const before = listRuns(ws).map((r) => r.dir);
    await train(W, page, log);
    const again = await dialogText(W, page, 2500);
    if (again) throw new Error(`asked again after 'Always': ${again}`);
    const second = await finished(W, page, ws, before, 'the remembered run');
    log(`remembered run ${second.name}: ${second.status}`);
    await s.shot('remembered');
  },
};
