// Issue 13, a newcomer's first minutes: open the sample in the graph editor (Explorer open, as on a
// first start) -> Train -> the charts open beside it by themselves -> the graph is still readable
// (smallest text >= 11 px, the drawing fills its canvas, the inspector under it rather than
// squeezing it) -> the two-way gate reads "p % / 1-p %" and the inspector lists it -> the graph and
// the charts in Light Modern, Dark Modern and Dark High Contrast (screenshots for the README),
// with readable export and toggle buttons in High Contrast.
'use strict';
const fs = require('fs');
const path = require('path');
const { listRuns, runsOf } = require('../lib/runs');
const { hasCommand, missingFiles } = require('../lib/contributes');
const { graphFrame, graphReadability, contrast } = require('../lib/webview');

/** Switch the colour theme like a user: Preferences: Color Theme, type its name, Enter. */
async function setTheme(W, page, name, log) {
  await W.runCommand(page, 'Preferences: Color Theme', { log });
  const input = page.locator('.quick-input-widget input[type="text"]');
  await input.waitFor({ timeout: 10000 });
  await input.fill(name);
  // the filter puts the theme first (the row also shows its description): pick it
  await W.pickQuickItem(page, new RegExp(W.reEscape(name)));
  await page.waitForTimeout(1500); // webviews restyle on the theme message
}

/** Colour, background and opacity of a button in a frame (background: first opaque ancestor). */
function buttonColours(frame, selector) {
  return frame.locator(selector).first().evaluate((b) => {
    let bg = 'rgba(0, 0, 0, 0)';
    for (let e = b; e && /rgba\(0, 0, 0, 0\)|transparent/.test(bg); e = e.parentElement) bg = getComputedStyle(e).backgroundColor;
    let opacity = 1;
    for (let e = b; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
    return { fg: getComputedStyle(b).color, bg, opacity, text: b.textContent.trim() };
  });
}

module.exports = {
  skip({ repo, pkg }) {
    if (!hasCommand(pkg, 'feedbackMtl.train')) return 'command feedbackMtl.train not contributed';
    return missingFiles(repo, ['webview/graph/captions.ts', 'webview/charts/main.ts']);
  },

  async run({ s, W, page, files, log }) {
    const ws = s.ws;
    const exp = files.experiment;

    // ---- 1. open the sample as a newcomer does: Explorer open, the graph editor --------------------
    await W.openFile(page, files.quick, log);
    let g = await graphFrame(W, page, log);
    for (const t of exp.tasks) await g.locator(`[data-node-id="${t.id}"]`).first().waitFor({ timeout: 15000 });
    await page.waitForTimeout(500);
    const alone = await graphReadability(g);
    log('graph alone:', JSON.stringify(alone));
    if (alone.minTextPx < 11) throw new Error(`graph alone: smallest text ${alone.minTextPx.toFixed(1)} px < 11`);
    if (alone.fill < 0.85) throw new Error(`graph alone: the drawing fills only ${(alone.fill * 100).toFixed(0)}% of its canvas`);
    s.measure('graphAloneMinTextPx', Math.round(alone.minTextPx * 10) / 10);
    await s.shot('graph-alone');

    // ---- 2. Train: the charts open beside; the graph stays readable --------------------------------
    const known = listRuns(ws).map((r) => r.dir);
    await W.runCommand(page, 'Feedback MTL: Train feedback MTL', { log });
    const charts = await W.frameWith(page, '#charts-root', 30000);
    const run = await W.until(page, () => runsOf(ws, files.quick).find((r) => !known.includes(r.dir) && r.done),
      'the run to finish', 120000, 500);
    log('run', run.name, run.status);
    await W.until(page, async () => /completed|early-stopped/.test(await charts.locator('#charts-status').first().innerText().catch(() => '')),
      'the charts to say the run finished', 20000, 300);
    g = await W.frameWith(page, '#graph-root', 10000);
    await page.waitForTimeout(800);
    const beside = await graphReadability(g);
    log('graph beside the charts:', JSON.stringify(beside));
    s.measure('graphBesideChartsMinTextPx', Math.round(beside.minTextPx * 10) / 10);
    s.measure('graphBesideChartsFill', Math.round(beside.fill * 100) / 100);
    if (beside.minTextPx < 11) throw new Error(`graph beside the charts: smallest text ${beside.minTextPx.toFixed(1)} px < 11`);
    if (beside.fill < 0.85) throw new Error(`graph beside the charts: the drawing fills only ${(beside.fill * 100).toFixed(0)}% of its canvas`);
    if (beside.canvas.w < 0.95 * beside.root.w) throw new Error(`graph beside the charts: the canvas is ${beside.canvas.w} of ${beside.root.w} px wide (the inspector squeezes it)`);

    // ---- 2b. one run, one set of numbers: the toast and the graph badges quote the same checkpoint
    const summary = run.done.summary;
    const toast = await W.until(page, async () => (await W.notificationTexts(page)).find((t) => /Trained /.test(t)), 'the end-of-training toast', 20000, 300);
    log('toast:', toast);
    if (!toast.includes(`valid, best epoch ${summary.bestEpoch}`)) throw new Error(`the toast does not say its split and checkpoint ("valid, best epoch ${summary.bestEpoch}"): ${toast}`);
    if (summary.best.test && !/test: /.test(toast)) throw new Error(`the run scored the test split but the toast shows no test scores: ${toast}`);
    const status = await g.locator('.toolbar .status').first().innerText();
    if (!status.includes(`valid, best epoch ${summary.bestEpoch}`)) throw new Error(`the graph does not say where its figures come from: ${status}`);
    for (const t of exp.tasks) {
      const badge = await W.until(page, () => g.locator(`[data-node-id="${t.id}"] g.badge text`).first().textContent().catch(() => null), `the badge of ${t.id}`, 10000, 200);
      const inToast = new RegExp(`\\b${W.reEscape(t.id)} [\\w-]+ ([\\d.]+)`).exec(toast);
      const b = /([\d.]+)\s*$/.exec(badge);
      if (!inToast || !b || inToast[1] !== b[1]) throw new Error(`${t.id}: badge "${badge}" and toast "${inToast && inToast[0]}" disagree`);
      const metric = t.kind === 'regression' ? 'rmse' : t.kind === 'tagging' ? 'f1' : 'accuracy';
      const v = summary.best.valid[t.id][metric];
      const expected = metric === 'rmse' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : (v * 100).toFixed(1);
      if (b[1] !== expected) throw new Error(`${t.id}: badge ${b[1]} is not the best-validation checkpoint's ${metric} ${expected} (summary.json)`);
    }
    log('badges, toast and summary.json agree:', status);

    // ---- 3. the learned two-way gate: both shares on the graph, both rows in the inspector ---------
    const gumbel = (exp.feedback || []).find((f) => f.injection === 'gumbel');
    if (gumbel) {
      const shares = await W.until(page, async () => {
        const t = await g.locator(`[data-arrow-id="${gumbel.id}"] .branch text`).allTextContents();
        return t.filter((x) => /%/.test(x)).length >= 2 ? t : null;
      }, `gate shares on ${gumbel.id}`, 15000, 300);
      const sum = shares.map((x) => Number(x.replace(/[^\d.]/g, ''))).reduce((a, b) => a + b, 0);
      log(`gate ${gumbel.id}:`, JSON.stringify(shares));
      if (Math.abs(sum - 100) > 1.5) throw new Error(`gate shares of ${gumbel.id} ${JSON.stringify(shares)} do not add up to 100 %`);
      await g.locator(`[data-arrow-id="${gumbel.id}"]`).first().click({ force: true });
      const rows = await W.until(page, async () => { const n = await g.locator('#inspector .gate-table tr').count(); return n || null; }, 'the learned gate table', 10000, 200);
      const cands = gumbel.candidates ? gumbel.candidates.length : exp.tasks.find((t) => t.id === gumbel.to).blocks.length;
      if (rows !== cands) throw new Error(`the inspector lists ${rows} gate rows for ${cands} candidate blocks`);
    }
    await s.shot('graph-beside-charts');

    // ---- 4. themes: the graph and the charts in Light Modern, High Contrast, Dark Modern -----------
    for (const [theme, tag] of [['Light Modern', 'light'], ['Dark High Contrast', 'high-contrast'], ['Dark Modern', 'dark']]) {
      await setTheme(W, page, theme, log);
      const chartsNow = await W.frameWith(page, '#charts-root', 10000);
      const exportBtn = await buttonColours(chartsNow, 'button.fmtl-btn:has-text("Export CSV")');
      const toggle = await buttonColours(chartsNow, 'figure.fmtl-chart header .tools button.fmtl-btn');
      const cr = [contrast(exportBtn.fg, exportBtn.bg), contrast(toggle.fg, toggle.bg)];
      log(`${theme}: export ${JSON.stringify(exportBtn)} contrast ${cr[0].toFixed(1)}; toggle ${JSON.stringify(toggle)} contrast ${cr[1].toFixed(1)}`);
      if (tag === 'high-contrast') {
        if (cr[0] < 7) throw new Error(`High Contrast: "${exportBtn.text}" contrast ${cr[0].toFixed(1)} < 7 (${exportBtn.fg} on ${exportBtn.bg})`);
        if (cr[1] < 7 || toggle.opacity < 1) throw new Error(`High Contrast: "${toggle.text}" contrast ${cr[1].toFixed(1)}, opacity ${toggle.opacity}`);
      } else if (cr[0] < 4.5) {
        throw new Error(`${theme}: "${exportBtn.text}" contrast ${cr[0].toFixed(1)} < 4.5`);
      }
      // Series colours at full strength (Light Modern's own chart colours are translucent).
      const strokes = await chartsNow.locator('figure.fmtl-chart path[data-series]').evaluateAll((ps) => [...new Set(ps.map((p) => getComputedStyle(p).stroke))]);
      const faint = strokes.filter((c) => /rgba\([^)]*,\s*0?\.\d+\)/.test(c));
      if (!strokes.length || faint.length) throw new Error(`${theme}: series strokes ${JSON.stringify(strokes)}: translucent ${JSON.stringify(faint)}`);
      const gNow = await W.frameWith(page, '#graph-root', 10000);
      const arrowStroke = await gNow.locator('.arrow:not(.selected) .arrow-line').first().evaluate((p) => getComputedStyle(p).stroke);
      const bg = await gNow.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);
      const arrowContrast = contrast(arrowStroke, bg);
      log(`${theme}: unselected arrow ${arrowStroke} on ${bg}: contrast ${arrowContrast.toFixed(1)}`);
      if (arrowContrast < 3) throw new Error(`${theme}: unselected arrows ${arrowStroke} on ${bg} have contrast ${arrowContrast.toFixed(1)} < 3`);
      await s.shot(`theme-${tag}`);
    }

    // ---- 5. K = 2 convergence chart: one tick per iteration step, in words ------------------------
    const chartsDark = await W.frameWith(page, '#charts-root', 10000);
    const ticks = await chartsDark.locator('#convergence svg text.tick').allTextContents();
    if (!ticks.includes('y⁰→y¹') || !ticks.includes('y¹→y²')) throw new Error(`convergence ticks for K = 2: ${JSON.stringify(ticks.slice(0, 12))}`);

    // ---- 6. keyboard: A on a task, Enter adds the arrow (no Gumbel offered over a one-block task) --
    g = await W.frameWith(page, '#graph-root', 10000);
    const from = exp.tasks.find((t) => t.id === 'sex') || exp.tasks[1];
    await g.locator(`[data-node-id="${from.id}"]`).first().focus();
    await page.keyboard.press('a');
    const pick = g.locator('#inspector [name="feedback.target"]').first();
    await W.until(page, () => pick.evaluate((e) => e.matches(':focus') || e.contains(document.activeElement) || document.activeElement === e), 'focus on the target list after A', 10000, 200);
    const options = await pick.evaluate((e) => [...e.querySelectorAll('vscode-option')].map((o) => o.getAttribute('value')));
    const oneBlock = exp.tasks.filter((t) => t.id !== from.id && t.blocks.length === 1).map((t) => t.id);
    const bad = options.filter((v) => oneBlock.some((id) => v === `${id}|gumbel`));
    if (bad.length) throw new Error(`a Gumbel gate is offered over a one-block task: ${JSON.stringify(bad)}`);
    const target = await pick.evaluate((e) => e.value);
    const before = await g.locator('[data-arrow-id]').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-arrow-id')))]);
    await page.keyboard.press('Enter');
    const added = await W.until(page, async () => (await g.locator('[data-arrow-id]').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-arrow-id')))])).find((id) => !before.includes(id)),
      'A then Enter to add an arrow', 10000, 200);
    const wantId = `${from.id}-to-${target.split('|')[0]}`;
    if (added !== wantId) throw new Error(`new arrow id ${added}, expected ${wantId} (the samples' "-" style)`);
    log(`keyboard: A on ${from.id}, Enter -> ${added}`);
    await s.shot('keyboard-arrow');
    await page.keyboard.press('Control+Z');
    await W.until(page, async () => !(await g.locator(`[data-arrow-id="${added}"]`).count()), 'Ctrl+Z to remove the keyboard arrow', 10000, 200);

    // ---- 7. a keybinding scoped to the graph editor: Alt+T opens the file as text beside it --------
    await g.locator('#graph-root').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Alt+T');
    await W.until(page, () => page.locator('.editor-instance .monaco-editor').first().isVisible().catch(() => false), 'Alt+T to open the experiment as text', 10000, 200);
    await s.shot('alt-t-text');
    await W.runCommand(page, 'View: Close Editor', { log });

    // ---- 8. an arrow to a task that does not exist: drawn dashed to a placeholder, listed, selectable
    const file = path.join(ws, files.quick);
    const original = fs.readFileSync(file, 'utf8');
    const victim = exp.feedback.find((f) => f.injection !== 'gumbel') || exp.feedback[0];
    const broken = original.replace(new RegExp(`("id": "${W.reEscape(victim.id)}",[\\s\\S]*?"to": )"${W.reEscape(victim.to)}"`), '$1"bird"');
    if (broken === original) throw new Error(`could not point ${victim.id} at "bird" in the text`);
    fs.writeFileSync(file, broken);
    g = await W.frameWith(page, '#graph-root', 10000);
    await g.locator('[data-node-id="?bird"]').first().waitFor({ timeout: 15000 });
    const cls = await g.locator(`[data-arrow-id="${victim.id}"]`).first().getAttribute('class');
    const dash = await g.locator(`[data-arrow-id="${victim.id}"] .arrow-line`).first().evaluate((p) => getComputedStyle(p).strokeDasharray);
    if (!/has-error/.test(cls) || dash === 'none') throw new Error(`the arrow to "bird" is not drawn as an error (class ${cls}, dash ${dash})`);
    const drawn = await g.locator('[data-arrow-id]').evaluateAll((els) => new Set(els.map((e) => e.getAttribute('data-arrow-id'))).size);
    const header = await g.locator('.toolbar .status').first().innerText();
    if (!header.includes(`${drawn} arrows`)) throw new Error(`header "${header}" and the ${drawn} arrows drawn disagree`);
    await g.locator('#graph-errors button.link', { hasText: /bird/ }).first().click();
    await W.until(page, async () => /→ bird/.test(await g.locator('#inspector h2').first().innerText().catch(() => '')), '"Show on the graph" to select the arrow to bird', 10000, 200);
    await s.shot('invalid-arrow');
    fs.writeFileSync(file, original);
    await g.locator('[data-node-id="?bird"]').first().waitFor({ state: 'detached', timeout: 15000 });

    // ---- 8b. a missing comma: the graph says it in words; Problems lists VS Code's own JSON error once
    const noComma = original.replace(/("name": "[^"]*"),/, '$1');
    if (noComma === original) throw new Error('could not drop the comma after "name"');
    fs.writeFileSync(file, noComma);
    const errText = await W.until(page, async () => { const t = await g.locator('#graph-errors').first().innerText().catch(() => ''); return /syntax/i.test(t) ? t : null; }, 'the graph to list the syntax error', 15000, 200);
    if (/CommaExpected|[A-Z][a-z]+Expected/.test(errText) || !/',' expected/.test(errText)) throw new Error(`graph error list: ${errText}`);
    await page.keyboard.press('Control+Shift+M');
    const rows = page.locator('.markers-panel .monaco-list-row');
    await rows.first().waitFor({ timeout: 15000 });
    await page.waitForTimeout(1000); // our diagnostics are debounced (300 ms): give a duplicate time to show
    const problems = await rows.allInnerTexts();
    log('Problems with a missing comma:', JSON.stringify(problems));
    if (problems.some((t) => /Feedback MTL/.test(t))) throw new Error(`Problems repeats the JSON syntax error from Feedback MTL: ${JSON.stringify(problems)}`);
    await s.shot('missing-comma');
    fs.writeFileSync(file, original);
    await W.until(page, async () => !(await g.locator('#graph-errors').first().isVisible().catch(() => false)), 'the syntax error to clear', 15000, 200);

    // ---- 9. the walkthrough: its steps, each with its command -------------------------------------
    await W.runCommand(page, 'Welcome: Open Walkthrough...', { log });
    await W.pickQuickItem(page, /Get started with Feedback MTL/);
    for (const step of ['Open a sample experiment', 'See the task graph', 'Add a feedback arrow', 'Train', 'Read the convergence curves and the gates']) {
      await page.locator('.gettingStartedContainer .getting-started-step', { hasText: step }).first().waitFor({ timeout: 15000 });
    }
    await s.shot('walkthrough');
  },
};
