// Issue 10, as a user: a 2 cells x 2 seeds penguins sweep file -> "Feedback MTL: Run sweep" from the
// palette -> the sweep view fills in per cell and ends with the table (mean ± std over seeds) and the
// paired comparison against the baseline; the numbers are checked against the sweep folder's
// table.json and its run folders.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { hasCommand, commandLabel, missingFiles } = require('../lib/contributes');

module.exports = {
  settings: { 'workbench.editorAssociations': { '*.fmtl.json': 'default' } },

  skip({ repo, pkg }) {
    if (!hasCommand(pkg, 'feedbackMtl.runSweep')) return 'command feedbackMtl.runSweep not contributed in package.json yet';
    return missingFiles(repo, ['src/sweepView/sweepHost.ts', 'src/sweeps/localPool.ts']);
  },

  async run({ s, W, page, pkg, files, log }) {
    const ws = s.ws;
    const file = 'penguins-2x2.sweep.json';
    fs.writeFileSync(path.join(ws, file), JSON.stringify({
      name: 'penguins-2x2',
      experiment: files.quick,
      seeds: [1, 2],
      variants: ['static', 'asWritten'],
      baseline: { variant: 'static' },
    }, null, 2));
    const sweepDir = path.join(ws, '.fmtl', 'sweeps', 'penguins-2x2');

    await W.openFile(page, file, log);
    await W.until(page, async () => (await page.locator('.tabs-container .tab', { hasText: file }).count()) > 0, 'the sweep file to open', 30000, 300);
    await s.shot('sweep-file');
    const t0 = Date.now();
    await W.runCommand(page, commandLabel(pkg, 'feedbackMtl.runSweep'), { log });

    const frame = await W.frameWith(page, '#sweep-progress', 30000)
      .catch((e) => { throw new Error(`the sweep view did not open on Run sweep: ${e.message}`); });
    s.measure('sweepViewOpen', Date.now() - t0);
    await s.shot('sweep-running');

    // Every run finishes (read from the folder the pool writes), then the view shows the table.
    const table = await W.until(page, () => {
      try {
        const t = JSON.parse(fs.readFileSync(path.join(sweepDir, 'table.json'), 'utf8'));
        return t.finished === 4 ? t : undefined;
      } catch { return undefined; }
    }, 'table.json with 4 finished runs', 300000, 500);
    s.measure('sweepWall', Date.now() - t0);
    const cells = fs.readdirSync(path.join(sweepDir, 'runs'));
    if (cells.sort().join(',') !== 'asWritten,static') throw new Error(`cell folders: ${cells.join(', ')}`);

    const rows = await W.until(page, async () => {
      const f = await W.frameWith(page, '#sweep-table', 10000);
      const texts = await f.locator('#sweep-table tr').allInnerTexts();
      return texts.length === 3 && texts.slice(1).every((t) => /2\/2/.test(t) && /±/.test(t)) ? texts : undefined;
    }, 'the sweep table with mean ± std for both cells (2/2 seeds)', 60000, 500);
    log('table rows:', JSON.stringify(rows));
    const shown = /variant=static \(baseline\)\s+2\/2\s+([\d.]+) ± ([\d.]+)/.exec(rows[1]);
    if (!shown) throw new Error(`baseline row not as expected: ${rows[1]}`);
    const m = table.rows[0].metrics['species.accuracy'];
    const want = [(m.mean * 100).toFixed(1), (m.std * 100).toFixed(1)];
    if (shown[1] !== want[0] || shown[2] !== want[1]) throw new Error(`the view shows ${shown[1]} ± ${shown[2]}, table.json says ${want.join(' ± ')}`);
    const f = await W.frameWith(page, '#sweep-compare', 10000);
    const cmp = await f.locator('#sweep-compare tr').allInnerTexts();
    log('comparison rows:', JSON.stringify(cmp));
    if (!(cmp.length === 2 && /variant=asWritten\s+variant=static\s+2/.test(cmp[1]) && /\[[-+−][\d.]+, [-+−][\d.]+\]/.test(cmp[1]))) throw new Error(`paired comparison not as expected: ${JSON.stringify(cmp)}`);
    await f.locator('#sweep-table').first().scrollIntoViewIfNeeded().catch(() => {});
    await s.shot('sweep-table');

    // The Runs view lists the sweep under its experiment, with its cells and seeds done.
    await W.runCommand(page, 'View: Show Feedback MTL', { log }).catch(() => {});
    const viewRows = await W.until(page, async () => {
      const r = await W.sideBarRows(page);
      const sweepRow = r.find((t) => /sweep penguins-2x2/.test(t));
      if (!sweepRow) return undefined;
      const i = r.findIndex((t) => /sweep penguins-2x2/.test(t));
      if (!/variant=/.test(r[i + 1] || '')) {
        await page.locator('.monaco-list-row', { hasText: 'sweep penguins-2x2' }).first().locator('.monaco-tl-twistie').click().catch(() => {});
        return undefined;
      }
      return r;
    }, 'the Runs view to list the sweep and its cells', 30000, 500);
    log('Runs view rows:', JSON.stringify(viewRows.slice(0, 12)));
    // In the Runs view (above the Sweeps view): the sweep row, then its two cells.
    const at = viewRows.findIndex((t) => /sweep penguins-2x2/.test(t));
    const cellRows = viewRows.slice(at + 1, at + 3).filter((t) => /variant=(static|asWritten)/.test(t));
    if (!(cellRows.length >= 2 && cellRows.every((t) => /2\/2 seeds/.test(t)))) throw new Error(`Runs view cells: ${JSON.stringify(cellRows)}`);
    await s.shot('runs-view-sweep');
  },
};
