// Issue 6 in the extension, as a user: "Feedback MTL: Build native kernels" from the palette ->
// the build (g++, OpenBLAS, the Node-API headers shipped in the .vsix) reports success -> the next
// "Train feedback MTL" runs its trainer with them (the run's backend line says so). Where the
// machine has no g++ or OpenBLAS the scenario is skipped with the reason (CI installs both).
'use strict';
const { execSync } = require('child_process');
const { runsOf } = require('../lib/runs');
const { hasCommand } = require('../lib/contributes');

function missingTools() {
  if (process.platform !== 'linux') return 'native kernels are built on Linux only';
  try { execSync('g++ --version', { stdio: 'ignore' }); } catch { return 'no g++ on this machine'; }
  try {
    const libs = execSync('ldconfig -p 2>/dev/null || /sbin/ldconfig -p', { encoding: 'utf8', shell: '/bin/bash' });
    if (!/libopenblas\.so\.0/.test(libs)) return 'no OpenBLAS (libopenblas0) on this machine';
  } catch { return 'cannot list shared libraries (ldconfig)'; }
  return null;
}

module.exports = {
  settings: { 'workbench.editorAssociations': { '*.fmtl.json': 'default' } },

  skip({ pkg }) {
    if (!hasCommand(pkg, 'feedbackMtl.buildNativeKernels')) return 'command feedbackMtl.buildNativeKernels not contributed';
    return missingTools();
  },

  async run({ s, W, page, files, log }) {
    const ws = s.ws;
    const t0 = Date.now();
    await W.runCommand(page, 'Feedback MTL: Build native kernels', { log });
    const outcome = await W.until(page, async () => (await W.notificationTexts(page))
      .find((t) => /native kernels built|could not be built/i.test(t)), 'the native kernels build to report', 120000, 300);
    s.measure('buildNativeKernels', Date.now() - t0);
    log('build:', JSON.stringify(outcome));
    await s.shot('built');
    if (!/native kernels built/i.test(outcome)) throw new Error(`the build failed: ${outcome}`);
    await W.clearNotifications(page, log);

    await W.openFile(page, files.quick, log);
    await W.ensureTextEditor(page, files.quick, log);
    await W.runCommand(page, 'Feedback MTL: Train feedback MTL', { log });
    const run = await W.until(page, async () => runsOf(ws, files.quick).find((r) => r.status !== 'running'),
      'the quick run to finish', 90000, 200);
    const start = run.events.find((e) => e.type === 'run/start') || {};
    const detail = (start.backend && start.backend.detail) || '';
    log(`run ${run.name} ${run.status}; backend: ${detail}`);
    if (!['completed', 'early-stopped'].includes(run.status)) throw new Error(`the run ended ${run.status}: ${run.error || ''}`);
    if (!/native kernels \(OpenBLAS\) from .*fmtlNative\.node/.test(detail)) throw new Error(`the trainer did not use the built kernels: ${detail}`);
  },
};
