// Issue 3, as a user: open the workspace -> "Train feedback MTL" from the command palette on the
// tiny experiment -> the progress notification shows -> the run completes -> CodeLens shows metrics
// in the file -> train the long experiment and "Stop training" -> it stops -> the Runs view lists
// both runs -> "Resume run" on the stopped one: it continues in its own folder from its last
// checkpoint, the charts say where, the Runs view still lists it once. Every UI claim is checked
// against the run folders the trainer wrote.
// Measures: command -> first progress notification, stop command -> stopped state, resume -> next epoch.
'use strict';
const fs = require('fs');
const path = require('path');
const { listRuns, runsOf } = require('../lib/runs');
const { hasCommand, hasView, missingFiles, commandLabel } = require('../lib/contributes');

const CAT = 'Feedback MTL';

/** Wait for and return the newest run of `file` (by run folder) created after `known` runs. */
async function newRun(W, page, ws, file, knownDirs, timeoutMs) {
  return W.until(page, async () => runsOf(ws, file).find((r) => !knownDirs.includes(r.dir)),
    `a new run folder for ${file}`, timeoutMs, 200);
}

/** Run the train command on the active experiment; answer a quick pick if one asks which file. */
async function train(W, page, file, log) {
  const at = await W.runCommand(page, `${CAT}: Train feedback MTL`, { log });
  // some flows ask which experiment (or which variant): pick our file if a quick pick shows it
  await page.waitForTimeout(300);
  if (await W.quickInputVisible(page)) {
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: file }).first();
    if (await W.appears(row, 3000)) { log('train asked which experiment; picking', file); await row.click(); }
  }
  return at;
}

/** Is the `Feedback MTL: ...` progress notification (a toast with a running progress bar) shown? */
async function trainingUiShown(W, page) {
  return (await W.progressToastTexts(page)).some((t) => /^Feedback MTL:/.test(t));
}

/** The status bar item shown while training (`$(pulse) FMTL ...`), if any. */
async function statusFmtl(W, page) {
  return (await W.statusBarItems(page)).find((i) => i.icons.includes('codicon-pulse') && /FMTL/.test(i.text + ' ' + i.aria));
}

/** Reveal the Runs view and expand every collapsed node; returns the visible rows. */
async function runsViewRows(W, page, log) {
  let opened = false;
  for (const label of [`${CAT}: Focus on Runs View`, 'Runs: Focus on Runs View']) {
    try { await W.runCommand(page, label, { timeoutMs: 8000, log }); opened = true; break; } catch { /* try next */ }
  }
  if (!opened) {
    await W.runCommand(page, 'View: Open View...', { log });
    await W.pickQuickItem(page, /^\s*Runs\b/);
  }
  for (let i = 0; i < 5; i++) {
    const collapsed = page.locator('.part.sidebar .monaco-list-row[aria-expanded="false"]');
    const n = await collapsed.count();
    if (!n) break;
    for (let k = 0; k < n; k++) await collapsed.nth(0).locator('.monaco-tl-twistie').click().catch(() => {});
    await page.waitForTimeout(300);
  }
  return W.sideBarRows(page);
}

module.exports = {
  // plain text editor for *.fmtl.json so CodeLens is visible whatever the default editor is
  settings: { 'workbench.editorAssociations': { '*.fmtl.json': 'default' } },

  skip({ repo, pkg }) {
    for (const c of ['feedbackMtl.train', 'feedbackMtl.stop']) if (!hasCommand(pkg, c)) return `command ${c} not contributed in package.json yet (H4)`;
    if (!hasView(pkg, 'feedbackMtl.runs')) return 'view feedbackMtl.runs not contributed in package.json yet (H4)';
    return missingFiles(repo, ['src/extension.ts', 'src/trainer/main.ts']);
  },

  async run({ s, W, page, pkg, files, log }) {
    const ws = s.ws;
    const exp = files.experiment;
    const taskIds = (exp.tasks || []).map((t) => t.id);

    // ---- 1. open the tiny experiment as text --------------------------------------------------
    await W.openFile(page, files.quick, log);
    await W.ensureTextEditor(page, files.quick, log);
    await s.shot('quick-open');

    // ---- 2. Train feedback MTL -> progress notification ---------------------------------------
    const before = listRuns(ws).map((r) => r.dir);
    const tCmd = await train(W, page, files.quick, log);
    await W.until(page, () => trainingUiShown(W, page), 'the "Feedback MTL:" progress notification', 60000, 50);
    s.measure('commandToProgress', Date.now() - tCmd);
    const st = await statusFmtl(W, page);
    log(`progress: ${JSON.stringify(await W.progressToastTexts(page))}; status bar: ${st ? JSON.stringify(st.text || st.aria) : 'no FMTL item'}`);
    await s.shot('progress');

    // ---- 3. the run completes (run folder says so; progress UI goes away) ----------------------
    const quickRun = await newRun(W, page, ws, files.quick, before, 60000);
    log('run folder:', path.relative(ws, quickRun.dir));
    const done = await W.until(page, () => {
      const r = listRuns(ws).find((x) => x.dir === quickRun.dir);
      if (r && (r.status === 'failed' || r.status === 'error')) throw new W.Fatal(`run ${r.name} failed: ${r.error || ''}`);
      return r && r.status !== 'running' ? r : null;
    }, `run ${quickRun.name} to finish`, 240000, 100);
    const doneAt = Date.now();
    if (!['completed', 'early-stopped'].includes(done.status)) throw new Error(`quick run ended ${done.status}${done.error ? ': ' + done.error : ''}`);
    s.measure('quickRunWall', Date.now() - tCmd);
    log(`quick run ${done.status}: ${done.epochs} epochs, ${done.steps} step events`);
    await W.until(page, async () => !(await trainingUiShown(W, page)) && !(await statusFmtl(W, page)),
      'the progress notification and the $(pulse) status item to go after the run', 30000, 100);
    s.measure('runDoneToUiIdle', Date.now() - doneAt);
    log('notifications after the run:', JSON.stringify(await W.notificationTexts(page)));
    await s.shot('completed');

    // ---- 4. CodeLens shows the metrics above each task ----------------------------------------
    const lenses = await W.until(page, async () => {
      const l = await W.codeLensTextsAll(page);
      const perTask = taskIds.map((id) => l.find((t) => new RegExp(`^${W.reEscape(id)}\\s*·.*\\d`).test(t)));
      return perTask.every(Boolean) ? l : null;
    }, `a CodeLens with a metric for each task (${taskIds.join(', ')})`, 30000, 500)
      .catch(async (e) => { throw new Error(`${e.message}; CodeLens shown: ${JSON.stringify(await W.codeLensTextsAll(page))}`); });
    log('CodeLens:', JSON.stringify(lenses));
    await s.shot('codelens');

    // ---- 5. long experiment: train, then Stop training ----------------------------------------
    await W.openFile(page, files.long, log);
    await W.ensureTextEditor(page, files.long, log);
    const before2 = listRuns(ws).map((r) => r.dir);
    await train(W, page, files.long, log);
    await W.until(page, () => trainingUiShown(W, page), 'the progress notification for the long run', 60000, 50);
    const longRun = await newRun(W, page, ws, files.long, before2, 60000);
    // stop mid-training: after the first epoch has been reported
    await W.until(page, () => (listRuns(ws).find((x) => x.dir === longRun.dir) || {}).epochs >= 1,
      'the long run to finish its first epoch', 120000, 200);
    await s.shot('long-running');

    const tStop = await W.runCommand(page, commandLabel(pkg, 'feedbackMtl.stop'), { log });
    let uiIdleMs = null;
    const stopped = await W.until(page, async () => {
      if (uiIdleMs === null && !(await trainingUiShown(W, page)) && !(await statusFmtl(W, page))) uiIdleMs = Date.now() - tStop;
      const r = listRuns(ws).find((x) => x.dir === longRun.dir);
      return r && r.status !== 'running' ? r : null;
    }, 'the long run to stop', 30000, 50);
    s.measure('stopToRunDone', Date.now() - tStop);
    await W.until(page, async () => {
      if (uiIdleMs === null && !(await trainingUiShown(W, page)) && !(await statusFmtl(W, page))) uiIdleMs = Date.now() - tStop;
      return uiIdleMs !== null;
    }, 'the progress notification and status item to go away after Stop', 15000, 50);
    s.measure('stopToUiIdle', uiIdleMs);
    if (stopped.status !== 'stopped') throw new Error(`long run ended ${stopped.status}, expected stopped`);
    const totalEpochs = (stopped.events.find((e) => e.type === 'run/start') || {}).config?.training?.epochs;
    log(`long run stopped after ${stopped.epochs}/${totalEpochs} epochs`);
    if (!(stopped.epochs < 200)) throw new Error('long run was not stopped early');
    if (!fs.existsSync(stopped.dir)) throw new Error('stopped run folder was removed');
    await page.waitForTimeout(500);
    await s.shot('stopped');

    // ---- 6. the Runs view lists both runs ----------------------------------------------------
    const rows = await W.until(page, async () => {
      const r = await runsViewRows(W, page, log);
      const text = r.join('\n');
      return /stopped/i.test(text) && /(completed|early.stopped|done|finished)/i.test(text) ? r : null;
    }, 'the Runs view to list a completed and a stopped run', 30000, 1000)
      .catch(async (e) => { throw new Error(`${e.message}; rows: ${JSON.stringify(await W.sideBarRows(page))}`); });
    log('Runs view:', JSON.stringify(rows));
    await s.shot('runs-view');

    // ---- 7. Resume the stopped run: it continues in its folder, one run in the views ------------
    const longRuns = runsOf(ws, files.long).length;
    const ckpt = stopped.events.filter((e) => e.type === 'run/checkpoint').reduce((m, e) => Math.max(m, e.step), 0);
    const tResume = await W.runCommand(page, commandLabel(pkg, 'feedbackMtl.resume'), { log });
    await W.pickQuickItem(page, new RegExp(W.reEscape(longRun.name)));
    const resumed = await W.until(page, () => {
      const r = listRuns(ws).find((x) => x.dir === longRun.dir);
      return r && r.resumes.length === 1 && r.epochs > stopped.epochs ? r : null;
    }, 'the resumed run to finish an epoch in its own folder', 120000, 200);
    s.measure('resumeToNextEpoch', Date.now() - tResume);
    const marker = resumed.resumes[0];
    if (marker.step !== ckpt || marker.checkpoint !== 'last') throw new Error(`resumed from ${marker.checkpoint} step ${marker.step}, the stopped run's last checkpoint is step ${ckpt}`);
    if (runsOf(ws, files.long).length !== longRuns) throw new Error(`resume made a new run folder: ${runsOf(ws, files.long).map((r) => r.name).join(', ')}`);
    // The charts of the run (opened on train) show its whole history and say where it was resumed.
    const caption = await W.until(page, async () => {
      for (const f of page.frames()) {
        const t = await f.locator('#loss').first().innerText({ timeout: 500 }).catch(() => '');
        if (t.includes(`resumed at step ${marker.step}`)) return t;
      }
      return null;
    }, `the loss chart caption to say "resumed at step ${marker.step}"`, 30000, 500);
    log('loss section:', JSON.stringify(caption.slice(0, 300)));
    await s.shot('resumed-charts');
    await W.runCommand(page, commandLabel(pkg, 'feedbackMtl.stop'), { log });
    const stopped2 = await W.until(page, () => {
      const r = listRuns(ws).find((x) => x.dir === longRun.dir);
      return r && r.status !== 'running' ? r : null;
    }, 'the resumed run to stop', 30000, 100);
    if (stopped2.status !== 'stopped') throw new Error(`the resumed run ended ${stopped2.status}, expected stopped`);
    const steps = stopped2.events.filter((e) => e.type === 'run/step').map((e) => e.step);
    log(`resumed at step ${marker.step} (epoch ${marker.epoch}); stopped again after ${stopped2.epochs} epochs, ${stopped2.steps} distinct steps (${steps.length} step events in the file)`);
    // The experiment's row counts its runs: still one, now with the resumed session's figures.
    const expName = path.basename(files.long).replace(/\.fmtl\.json$/, '');
    const rows2 = await W.until(page, async () => {
      const r = await runsViewRows(W, page, log);
      return r.some((x) => x.startsWith(`${expName} |`) && /\b1 run\b/.test(x)) && r.some((x) => /stopped/.test(x) && x.includes(`best epoch ${stopped2.done.summary.bestEpoch})`)) ? r : null;
    }, `the Runs view to list ${expName} with 1 run, stopped at its resumed best epoch ${stopped2.done.summary.bestEpoch}`, 30000, 1000)
      .catch(async (e) => { throw new Error(`${e.message}; rows: ${JSON.stringify(await W.sideBarRows(page))}`); });
    log('Runs view after the resume:', JSON.stringify(rows2));
    await s.shot('runs-view-resumed');
  },
};
