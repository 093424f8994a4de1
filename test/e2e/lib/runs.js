// Reads the run folders the trainer writes into the e2e workspace (`.fmtl/runs/<time>-<name>/`),
// so scenarios can check what the UI claims against what was really recorded.
'use strict';
const fs = require('fs');
const path = require('path');

/** Every folder under `root` (depth <= 6) holding an `events.jsonl`. */
function runDirs(root) {
  const out = [];
  const walk = (dir, depth) => {
    let ents;
    try { ents = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    if (ents.some((e) => e.isFile() && e.name === 'events.jsonl')) out.push(dir);
    if (depth >= 6) return;
    for (const e of ents) if (e.isDirectory() && e.name !== 'node_modules') walk(path.join(dir, e.name), depth + 1);
  };
  walk(root, 0);
  return out.sort();
}

/** Parsed events of one run (a half-written last line is ignored). */
function readEvents(dir) {
  let text;
  try { text = fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8'); } catch { return []; }
  const events = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try { events.push(JSON.parse(line)); } catch { /* partial line being written */ }
  }
  return events;
}

/**
 * Summary of every run under `root`: dir, experiment name, counts, status (from run/done). A run
 * resumed in its folder has a later `run/start` marked `resumed`: only what follows the newest one
 * says how the run ended, and steps / epochs count once each (a resume retrains some).
 */
function listRuns(root) {
  return runDirs(root).map((dir) => {
    const ev = readEvents(dir);
    const start = ev.find((e) => e.type === 'run/start');
    let from = 0;
    ev.forEach((e, i) => { if (e.type === 'run/start' && e.resumed) from = i; });
    const session = ev.slice(from);
    const done = session.find((e) => e.type === 'run/done');
    const error = session.find((e) => e.type === 'run/error');
    return {
      dir,
      name: path.basename(dir),
      experimentPath: start ? start.experimentPath : undefined,
      resumes: ev.filter((e) => e.type === 'run/start' && e.resumed).map((e) => e.resumed),
      steps: new Set(ev.filter((e) => e.type === 'run/step').map((e) => e.step)).size,
      epochs: new Set(ev.filter((e) => e.type === 'run/epoch').map((e) => e.epoch)).size,
      status: done ? done.summary.status : error ? 'error' : 'running',
      error: error ? error.message : undefined,
      done,
      events: ev,
    };
  });
}

/** The runs of one experiment file (matched by run/start's experimentPath or the folder name). */
function runsOf(root, experimentFile) {
  const base = path.basename(experimentFile).replace(/\.fmtl\.json$/, '');
  return listRuns(root).filter((r) => (r.experimentPath && path.basename(r.experimentPath) === path.basename(experimentFile))
    || (!r.experimentPath && r.name.includes(base)));
}

module.exports = { runDirs, readEvents, listRuns, runsOf };
