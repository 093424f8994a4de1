// Issue 3, "New experiment (from a template)" for text data, as a user: a folder of SLU data in the
// workspace (train/ and valid/ with seq.in, seq.out, label) -> "Feedback MTL: New experiment" ->
// "Text (SLU folders)" -> pick the folder in the open dialog -> name it -> the new file opens
// with no problems -> "Train feedback MTL" on it -> the run completes with intent accuracy and
// slot F1. The data is a small synthetic set written here (never a copy of ../shared/data).
// Then the same for the JSONL and CoNLL templates (issue 15): New experiment -> "Text or tabular
// (JSONL)" / "Text (CoNLL columns)" -> name it -> the new file and its sample data file (copied
// beside it) -> no problems -> train -> the run completes with intent accuracy and slot F1.
'use strict';
const fs = require('fs');
const path = require('path');
const { runsOf } = require('../lib/runs');
const { hasCommand } = require('../lib/contributes');

/** Two intents with slots, 30 train and 10 valid sentences, SNIPS's file layout. */
function writeSluMini(dir) {
  const artists = ['adele', 'queen', 'muse', 'blur', 'abba', 'coldplay', 'oasis'];
  const cities = ['paris', 'berlin', 'oslo', 'rome', 'lima', 'tokyo', 'cairo'];
  const when = ['today', 'tomorrow', 'tonight'];
  const rows = [];
  for (let i = 0; i < 40; i++) {
    if (i % 2) rows.push({ w: ['play', artists[i % 7], 'songs'], t: ['O', 'B-artist', 'O'], l: 'PlayMusic' });
    else rows.push({ w: ['weather', 'in', cities[i % 7], when[i % 3]], t: ['O', 'O', 'B-city', 'B-date'], l: 'GetWeather' });
  }
  for (const [split, part] of [['train', rows.slice(0, 30)], ['valid', rows.slice(30)]]) {
    const d = path.join(dir, split);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'seq.in'), part.map((r) => r.w.join(' ')).join('\n') + '\n');
    fs.writeFileSync(path.join(d, 'seq.out'), part.map((r) => r.t.join(' ')).join('\n') + '\n');
    fs.writeFileSync(path.join(d, 'label'), part.map((r) => r.l).join('\n') + '\n');
  }
}

/** Problems of `file` (or of Feedback MTL) in the Problems panel. */
async function problemsOf(page, W, file, log) {
  await W.runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)', { log });
  await page.waitForTimeout(1500);
  const rows = await page.locator('.markers-panel .monaco-list-row').allInnerTexts().catch(() => []);
  return rows.filter((r) => r.includes(file) || /Feedback MTL/.test(r));
}

/** Train the open experiment `file` and check the finished run's last epoch has intent accuracy and slot F1. */
async function trainAndCheck({ s, W, page, log }, file, what) {
  const ws = s.ws;
  await W.ensureTextEditor(page, file, log);
  await W.runCommand(page, 'Feedback MTL: Train feedback MTL', { log });
  const t0 = Date.now();
  const run = await W.until(page, async () => runsOf(ws, file).find((r) => r.status !== 'running'), `the ${what} run to finish`, 240000, 300);
  if (!['completed', 'early-stopped'].includes(run.status)) throw new Error(`the ${what} run ended ${run.status}: ${run.error || ''}`);
  const last = run.events.filter((e) => e.type === 'run/epoch').pop() || {};
  const valid = (last.valid || {});
  log(`${what}: run ${run.name} ${run.status} in ${((Date.now() - t0) / 1000).toFixed(1)} s; last valid: ${JSON.stringify(valid)}`);
  if (!(valid.intent && typeof valid.intent.accuracy === 'number' && valid.slots && typeof valid.slots.f1 === 'number')) {
    throw new Error(`${what}: no intent accuracy and slot F1 in the last epoch: ${JSON.stringify(valid)}`);
  }
}

/** New experiment from a template that ships a sample data file: pick it, name it, check the file and the data beside it. */
async function newFromTemplate({ s, W, page, log }, item, name, dataFile, format) {
  const ws = s.ws;
  const file = `${name}.fmtl.json`;
  await W.runCommand(page, 'Feedback MTL: New experiment', { log });
  await W.pickQuickItem(page, item);
  const input = page.locator('.quick-input-widget input[type="text"]');
  await W.until(page, async () => /my-\w+-experiment/.test(await input.inputValue().catch(() => '')), `the name prompt (${format})`, 15000, 200)
    .catch(async (e) => { await s.shot(`no-name-prompt-${format}`); throw e; });
  await input.fill(name);
  await page.keyboard.press('Enter');
  const target = path.join(ws, file);
  await W.until(page, async () => fs.existsSync(target), `${file} to be written`, 15000, 200);
  const doc = JSON.parse(fs.readFileSync(target, 'utf8'));
  if (doc.data.format !== format || doc.data.path !== dataFile) throw new Error(`${file}: data ${JSON.stringify(doc.data)}, expected format ${format} at ${dataFile}`);
  if (!fs.existsSync(path.join(ws, dataFile))) throw new Error(`${dataFile} was not copied beside ${file}`);
  await page.locator('.tabs-container .tab', { hasText: file }).first().waitFor({ timeout: 15000 });
  await s.shot(`created-${format}`);
  const problems = await problemsOf(page, W, file, log);
  if (problems.length) throw new Error(`the new ${format} experiment has problems: ${JSON.stringify(problems)}`);
  return file;
}

module.exports = {
  settings: { 'workbench.editorAssociations': { '*.fmtl.json': 'default' }, 'files.simpleDialog.enable': true },

  skip({ pkg }) {
    for (const c of ['feedbackMtl.newExperiment', 'feedbackMtl.train']) if (!hasCommand(pkg, c)) return `command ${c} not contributed`;
    return null;
  },

  async run({ s, W, page, log }) {
    const ws = s.ws;
    const data = path.join(ws, 'slu-mini');
    writeSluMini(data);
    const name = 'slu-mini-exp';
    const file = `${name}.fmtl.json`;

    await W.runCommand(page, 'Feedback MTL: New experiment', { log });
    await W.pickQuickItem(page, /Text \(SLU folders\)/);
    // The open dialog (VS Code's own, in a quick input, starting in the workspace folder): click
    // into slu-mini as a user would, then "Use this data folder".
    const input = page.locator('.quick-input-widget input[type="text"]');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'slu-mini' }).first();
    await row.waitFor({ timeout: 15000 });
    await row.click();
    await W.until(page, async () => /slu-mini\/?$/.test(await input.inputValue().catch(() => '')), 'the dialog to enter slu-mini', 10000, 200)
      .catch(async (e) => { throw new Error(`${e.message}; value: ${await input.inputValue().catch(() => '?')}`); });
    await s.shot('dialog');
    await page.locator('.quick-input-widget .monaco-button', { hasText: /use this data folder/i }).first().click();
    // The name prompt.
    await W.until(page, async () => /my-slu-experiment/.test(await input.inputValue().catch(() => '')), 'the name prompt', 15000, 200)
      .catch(async (e) => { await s.shot('no-name-prompt'); throw e; });
    await input.fill(name);
    await page.keyboard.press('Enter');
    const target = path.join(ws, file);
    await W.until(page, async () => fs.existsSync(target), `${file} to be written`, 15000, 200);
    const text = fs.readFileSync(target, 'utf8');
    if (!/"path":\s*"slu-mini"/.test(text)) throw new Error(`the new experiment does not point at slu-mini: ${text.slice(0, 400)}`);
    await page.locator('.tabs-container .tab', { hasText: file }).first().waitFor({ timeout: 15000 });
    await s.shot('created');

    // The new file has no problems (the data folder checks out).
    await W.runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)', { log });
    await page.waitForTimeout(1500);
    const rows = await page.locator('.markers-panel .monaco-list-row').allInnerTexts().catch(() => []);
    const errors = rows.filter((r) => r.includes(file) || /Feedback MTL/.test(r));
    if (errors.length) throw new Error(`the new experiment has problems: ${JSON.stringify(errors)}`);

    // Train it.
    await W.ensureTextEditor(page, file, log);
    await W.runCommand(page, 'Feedback MTL: Train feedback MTL', { log });
    const run = await W.until(page, async () => runsOf(ws, file).find((r) => r.status !== 'running'), 'the SLU run to finish', 120000, 300);
    if (!['completed', 'early-stopped'].includes(run.status)) throw new Error(`the run ended ${run.status}: ${run.error || ''}`);
    const last = run.events.filter((e) => e.type === 'run/epoch').pop() || {};
    const valid = (last.valid || {});
    log(`run ${run.name} ${run.status}; last valid: ${JSON.stringify(valid)}`);
    if (!(valid.intent && typeof valid.intent.accuracy === 'number' && valid.slots && typeof valid.slots.f1 === 'number')) {
      throw new Error(`no intent accuracy and slot F1 in the last epoch: ${JSON.stringify(valid)}`);
    }
    await s.shot('trained');

    // The JSONL and CoNLL templates, each with its sample data copied beside the new file.
    const jsonlFile = await newFromTemplate({ s, W, page, log }, /Text or tabular \(JSONL\)/, 'my-jsonl', 'intents.jsonl', 'jsonl');
    await trainAndCheck({ s, W, page, log }, jsonlFile, 'JSONL');
    await s.shot('trained-jsonl');
    const conllFile = await newFromTemplate({ s, W, page, log }, /Text \(CoNLL columns\)/, 'my-conll', 'intents.conll', 'conll');
    await trainAndCheck({ s, W, page, log }, conllFile, 'CoNLL');
    await s.shot('trained-conll');
  },
};
