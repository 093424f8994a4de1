import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { jsonForScript, renderReportHtml, writeReport } from '../../src/trainer/report';
import { syntheticRun } from '../../bench/framesSynthetic';
import type { TrainerEvent } from '../../src/shared/trainerProtocol';

const events = (): TrainerEvent[] => [...syntheticRun({ runId: 'r1', epochs: 2, stepsPerEpoch: 30, logEvery: 5 })];

test('interactive report embeds the bundle and the snapshot safely', () => {
  const ev = events();
  ev.push({ type: 'run/log', runId: 'r1', t: 1, level: 'warn', message: '</script><b>x</b>' });
  const html = renderReportHtml('run-a', '/tmp/run-a', ev, 'console.log("</script>")');
  assert.ok(html.includes('<main id="charts-root"></main>'));
  assert.ok(html.includes('console.log("<\\/script>")'));
  assert.equal(html.match(/<\/script>/g)!.length, 2);
  const json = /<script type="application\/json" id="fmtl-data">(.*?)<\/script>/s.exec(html)![1];
  const snap = JSON.parse(json);
  assert.equal(snap.type, 'run/snapshot');
  assert.equal(snap.runs[0].id, 'r1');
  assert.equal(snap.runs[0].status, 'completed');
  assert.equal(snap.runs[0].events.length, ev.length);
});

test('static fallback renders SVG charts of every section', () => {
  const html = renderReportHtml('run-a', '/tmp/run-a', events());
  assert.ok(!html.includes('<script'));
  for (const s of ['slots: ‖y^(k+1) − y^k‖ by iteration', 'intent2slots', 'slots loss', 'overall accuracy']) assert.ok(html.includes(s), s);
  assert.ok((html.match(/<svg /g) ?? []).length >= 8);
});

test('writeReport writes report.html and takes the status from summary.json', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-report-'));
  try {
    const ev = events().filter((e) => e.type !== 'run/done');
    fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ status: 'early-stopped', epochs: 2, steps: 60, bestEpoch: 1, best: { valid: {} }, last: { valid: {} }, gates: {}, durationMs: 5, backend: 'cpu' }));
    const bundle = path.join(dir, 'charts.js');
    fs.writeFileSync(bundle, '/* bundle */');
    const out = await writeReport(dir, ev, { bundlePath: bundle });
    assert.equal(out, path.join(dir, 'report.html'));
    const html = fs.readFileSync(out, 'utf8');
    assert.ok(html.includes('/* bundle */'));
    assert.ok(html.includes('"status":"early-stopped"'));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['charts.js', 'report.html', 'summary.json']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('jsonForScript escapes markup', () => {
  assert.equal(jsonForScript({ a: '</script><!--' }), '{"a":"\\u003c/script>\\u003c!--"}');
});
