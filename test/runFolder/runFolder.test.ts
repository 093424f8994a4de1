import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { eventLine, parseEventLines, RUN_FILES, timeFromName } from '../../src/runFolder/runFiles';
import { hasEventLog, listRunFolders, readEvents, readEventsAsync, readRunFolder, readRunJson } from '../../src/runFolder/runFolderReader';
import { RunFolder } from '../../src/runFolder/runFolderWriter';
import type { Experiment } from '../../src/shared/experimentTypes';
import type { TrainerEvent } from '../../src/shared/trainerProtocol';

test('parseEventLines ignores junk; timeFromName reads folder times', () => {
  assert.equal(parseEventLines('\n{"x":1}\nnot json\n{"type":"run/log","runId":"a","t":0,"level":"info","message":"m"}\n').length, 1);
  assert.equal(timeFromName('20260102-030405-x'), Date.UTC(2026, 0, 2, 3, 4, 5));
  assert.equal(timeFromName('my-run'), undefined);
});

test('what the writer writes the reader reads: names, events (a torn last line skipped), JSON files, cheap listing facts', async () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-runfolder-'));
  try {
    const config = { name: 'x', tasks: [] } as unknown as Experiment;
    const now = new Date(2026, 0, 2, 3, 4, 5);
    const f = RunFolder.create({ runsDir, name: 'my exp', tag: 'ablation-fixed', config, now, meta: {
      experimentPath: '/e/x.fmtl.json', seed: 7, versions: { node: 'n', tfjs: 't', extension: 'e' },
      backend: { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false, skipped: [] }, hardware: { os: 'linux', cpus: 1, memoryBytes: 1 }, request: { tag: 'ablation-fixed' },
    } });
    assert.equal(f.id, '20260102-030405-my-exp-ablation-fixed');
    const log: TrainerEvent = { type: 'run/log', runId: f.id, t: 1, level: 'info', message: 'hello' };
    f.append(log);
    f.close();
    fs.appendFileSync(path.join(f.dir, RUN_FILES.events), '{"type":"run/ep');
    assert.equal(fs.readFileSync(path.join(f.dir, RUN_FILES.events), 'utf8').startsWith(eventLine(log)), true);
    assert.deepEqual(readEvents(f.dir), [log]);
    assert.deepEqual(await readEventsAsync(f.dir), [log]);
    assert.equal(hasEventLog(f.dir), true);
    assert.equal(hasEventLog(runsDir), false);
    assert.deepEqual(readEvents(runsDir), []);
    assert.deepEqual(readRunJson<Experiment>(f.dir, RUN_FILES.config), config);
    assert.equal(readRunJson(f.dir, RUN_FILES.summary), undefined);
    assert.deepEqual(await listRunFolders(runsDir), [f.dir]);
    assert.deepEqual(await listRunFolders(path.join(runsDir, 'nope')), []);

    const info = await readRunFolder(f.dir);
    assert.equal(info?.id, f.id);
    assert.equal(info?.status, 'unknown', 'no summary and no run/done: unknown');
    assert.equal(info?.tag, 'ablation-fixed');
    assert.equal(info?.seed, 7);
    assert.equal(info?.backend, 'cpu');
    assert.equal(info?.experimentPath, '/e/x.fmtl.json');
    assert.equal(info?.hasLastCheckpoint, false);
    fs.mkdirSync(path.join(f.dir, RUN_FILES.checkpoints, 'last'), { recursive: true });
    fs.appendFileSync(path.join(f.dir, RUN_FILES.events), '\n' + eventLine({ type: 'run/error', runId: f.id, t: 2, message: 'boom' }));
    const failed = await readRunFolder(f.dir);
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.hasLastCheckpoint, true);
    fs.mkdirSync(path.join(runsDir, 'empty'));
    assert.equal(await readRunFolder(path.join(runsDir, 'empty')), undefined, 'a folder with none of the files is not a run');
  } finally {
    fs.rmSync(runsDir, { recursive: true, force: true });
  }
});
