// Issue 12, the bad-input corpus in the Problems panel: five inputs of test/fixtures/bad (a limit,
// a self-loop, a task id '__proto__' with an arrow to 'constructor', a missing SLU label file, a
// sweep axis path through '__proto__') are opened as a user would; each must show our marker with
// the message and the line cases.json expects (what `fmtl validate` prints for it too), and the
// files on disk stay as they were.
'use strict';
const fs = require('fs');
const path = require('path');
const { missingFiles } = require('../lib/contributes');

/** The sample: inputs of the corpus whose refusal `fmtl validate` (the Problems panel's view) places. */
const SAMPLE = [
  'experiment/iterations-huge.fmtl.json',
  'experiment/arrow-self-loop.fmtl.json',
  'experiment/task-id-proto-arrow-constructor.fmtl.json',
  'slu/missing-label-file/case.fmtl.json',
  'sweep/axis-path-proto.sweep.json',
];
/** What those inputs read (relative paths inside the corpus). */
const NEEDS = ['data', 'slu/missing-label-file', 'sweep/base.fmtl.json'];

/** Rows of the Problems panel. */
async function problemRows(page) {
  return page.locator('.markers-panel .monaco-list-row').allInnerTexts().catch(() => []);
}

module.exports = {
  settings: { 'workbench.editorAssociations': { '*.fmtl.json': 'default' } },

  skip({ repo }) {
    return missingFiles(repo, ['test/fixtures/bad/cases.json', 'src/insights/diagnostics.ts']);
  },

  async run({ s, W, page, repo, log }) {
    const corpus = path.join(repo, 'test', 'fixtures', 'bad');
    const cases = JSON.parse(fs.readFileSync(path.join(corpus, 'cases.json'), 'utf8'));
    const dest = path.join(s.ws, 'bad');
    for (const rel of [...NEEDS, ...SAMPLE]) fs.cpSync(path.join(corpus, rel), path.join(dest, rel), { recursive: true });
    const before = new Map(SAMPLE.map((rel) => [rel, fs.readFileSync(path.join(dest, rel), 'utf8')]));

    await W.runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)', { log })
      .catch(() => W.runCommand(page, 'View: Toggle Problems (Errors, Warnings, Infos)', { log }));
    for (const rel of SAMPLE) {
      const c = cases.find((x) => x.input === rel);
      if (!c) throw new Error(`${rel} is not in cases.json`);
      const e = { ...c.expect, ...(c.validate || {}) };
      if (e.accepts) throw new Error(`${rel}: validate does not refuse it (${e.accepts}); pick another input`);
      const name = path.basename(rel);
      const t0 = Date.now();
      await W.openFile(page, name, log);
      await page.locator('.editor-group-container.active .tab.active', { hasText: name }).first().waitFor({ timeout: 20000 });
      // The marker: our message, at the expected line ("[Ln 80, Col 17]" in the row).
      const row = await W.until(page, async () => (await problemRows(page)).find((r) => r.includes(e.message) && new RegExp(`\\bLn ${e.line}\\b`).test(r)),
        `the Problems panel to show '${e.message}' at line ${e.line} for ${rel}`, 20000, 300)
        .catch(async (err) => { throw new Error(`${err.message}; rows: ${JSON.stringify(await problemRows(page))}`); });
      s.measure(`marker:${name}`, Date.now() - t0);
      log(`${rel}: ${JSON.stringify(row)}`);
      if (e.at && !row.includes(e.at)) throw new Error(`${rel}: the marker does not name ${e.at}: ${row}`);
      await s.shot(name.replace(/\.json$/, ''));
    }
    for (const [rel, text] of before) {
      if (fs.readFileSync(path.join(dest, rel), 'utf8') !== text) throw new Error(`${rel} changed on disk`);
    }
  },
};
