// Builds the e2e workspace at run time from the repo's samples/, so the tests always use the
// experiments that ship (they never drift from a stale copy). Writes:
//   penguins-quick.fmtl.json  the tiny sample (2-3 epochs), as shipped
//   penguins-long.fmtl.json   the same with 5000 epochs and no early stopping (for the Stop test)
//   penguins.csv              and any other data file the samples point at
//   + everything in test/e2e/workspace/ (static extras)
'use strict';
const fs = require('fs');
const path = require('path');

const QUICK = 'penguins-quick.fmtl.json';
const LONG = 'penguins-long.fmtl.json';

/** jsonc-parser from the repo's node_modules (a declared dependency of the extension). */
function jsonc(repo) {
  return require(require.resolve('jsonc-parser', { paths: [repo] }));
}

/** Set `jsonPath` to `value` in JSONC `text` with a minimal edit (comments and formatting survive). */
function setJsonc(repo, text, jsonPath, value) {
  const j = jsonc(repo);
  const edits = j.modify(text, jsonPath, value, { formattingOptions: { insertSpaces: true, tabSize: 2 } });
  return j.applyEdits(text, edits);
}

/** Why the workspace cannot be built (the sample is missing), or null. */
function missingSamples(repo) {
  const dir = path.join(repo, 'samples');
  if (fs.existsSync(path.join(dir, QUICK)) || fs.existsSync(path.join(dir, 'penguins.fmtl.json'))) return null;
  return `samples/${QUICK} (H1) is not in the repo yet`;
}

/**
 * Create the workspace in `dest` (only the static extras while the samples are missing). The quick sample is taken as shipped; if only
 * `samples/penguins.fmtl.json` exists, a quick one is derived from it (2 epochs).
 */
function makeWorkspace(repo, dest) {
  const samples = path.join(repo, 'samples');
  fs.mkdirSync(dest, { recursive: true });
  const extras = path.join(__dirname, '..', 'workspace');
  if (fs.existsSync(extras)) fs.cpSync(extras, dest, { recursive: true });
  if (missingSamples(repo)) return { quick: null, long: null, experiment: null };

  let quick;
  if (fs.existsSync(path.join(samples, QUICK))) {
    quick = fs.readFileSync(path.join(samples, QUICK), 'utf8');
  } else {
    quick = fs.readFileSync(path.join(samples, 'penguins.fmtl.json'), 'utf8');
    quick = setJsonc(repo, quick, ['training', 'epochs'], 2);
    quick = setJsonc(repo, quick, ['name'], 'penguins-quick');
  }
  // `$schema` points at ../media/ relative to samples/, which does not exist in the workspace copy
  // (VS Code would flag the broken link); the extension's jsonValidation supplies the schema.
  quick = setJsonc(repo, quick, ['$schema'], undefined);
  fs.writeFileSync(path.join(dest, QUICK), quick);

  let long = setJsonc(repo, quick, ['training', 'epochs'], 5000);
  long = setJsonc(repo, long, ['training', 'earlyStopping'], undefined);
  long = setJsonc(repo, long, ['name'], 'penguins-long');
  long = setJsonc(repo, long, ['description'], 'The penguins sample with 5000 epochs: the e2e tests stop it early.');
  fs.writeFileSync(path.join(dest, LONG), long);

  // data files: whatever the sample points at (relative to samples/), plus penguins.csv
  const exp = jsonc(repo).parse(quick) || {};
  const dataRel = exp.data && typeof exp.data.path === 'string' ? exp.data.path : 'penguins.csv';
  for (const rel of new Set([dataRel, 'penguins.csv'])) {
    const src = path.resolve(samples, rel);
    if (!fs.existsSync(src)) continue;
    const to = path.resolve(dest, rel);
    if (!to.startsWith(dest)) throw new Error(`sample data path ${rel} points outside samples/; the e2e workspace cannot hold it`);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.cpSync(src, to, { recursive: true });
  }
  return { quick: QUICK, long: LONG, experiment: exp };
}

module.exports = { makeWorkspace, missingSamples, QUICK, LONG };
