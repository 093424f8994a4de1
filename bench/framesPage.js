// In-page driver of the chart benchmark (loaded by bench/frames.html after the charts bundle and
// the synthetic generator). Plays the host: sends a snapshot, then coalesced `run/events` batches
// through window.postMessage exactly as a VS Code webview receives them, and records frame times.
/* global FmtlSynthetic */
(function () {
  const post = (body) => window.postMessage({ fmtl: 1, body }, '*');
  const quantile = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
  };
  const longTasks = [];
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  } catch { /* not supported */ }

  function start(opts) {
    const gen = FmtlSynthetic.syntheticRun(opts);
    const first = gen.next().value; // run/start
    post({ type: 'run/snapshot', mode: 'single', runs: [{ id: opts.runId, name: opts.runId, colorIndex: 0, status: 'running', config: first.config, events: [first] }] });
    return gen;
  }

  function take(gen, n) {
    const out = [];
    for (let i = 0; i < n; i++) { const r = gen.next(); if (r.done) break; out.push(r.value); }
    return out;
  }

  /** Real-time stream: `rate` events/s in batches every `flushMs`, for `seconds`. */
  window.benchStream = (o) => new Promise((resolve) => {
    const gen = start({ runId: 'bench', epochs: 50, stepsPerEpoch: 2000, logEvery: 10, iterations: 3 });
    const app = window.fmtlCharts;
    const drawStart = app.stats.drawMs.length;
    const frames = [];
    let last = performance.now();
    let sent = 0;
    let owed = 0;
    const t0 = performance.now();
    longTasks.length = 0;
    let running = true;
    const frame = (t) => { frames.push(t - last); last = t; if (running) requestAnimationFrame(frame); };
    requestAnimationFrame((t) => { last = t; requestAnimationFrame(frame); });
    const timer = setInterval(() => {
      const elapsed = (performance.now() - t0) / 1000;
      owed = Math.round(o.rate * elapsed) - sent;
      const batch = take(gen, owed);
      sent += batch.length;
      if (batch.length) post({ type: 'run/events', runId: 'bench', events: batch });
      if (elapsed >= o.seconds) {
        clearInterval(timer);
        setTimeout(() => {
          running = false;
          const draws = app.stats.drawMs.slice(drawStart);
          const secs = (performance.now() - t0) / 1000;
          resolve({
            events: sent, seconds: secs, eventsPerSec: sent / o.seconds, received: app.stats.eventsReceived,
            frames: frames.length,
            frameP50: quantile(frames, 0.5), frameP95: quantile(frames, 0.95), frameP99: quantile(frames, 0.99), frameMax: Math.max(...frames),
            droppedPct: (100 * frames.filter((f) => f > 25).length) / Math.max(1, frames.length),
            draws: draws.length, drawP50: quantile(draws, 0.5), drawP95: quantile(draws, 0.95), drawMax: Math.max(0, ...draws),
            longTasks: longTasks.length, longTaskMax: Math.max(0, ...longTasks),
            status: document.getElementById('charts-status')?.textContent ?? '',
          });
        }, 300);
      }
    }, o.flushMs);
  });

  /** As fast as possible: a long run in big batches, one draw per batch (for the heap curve). */
  let longGen;
  window.benchLongStart = () => { longGen = start({ runId: 'long', epochs: 50, stepsPerEpoch: 2000, logEvery: 10, iterations: 3 }); };
  window.benchLongFeed = (events, batch) => new Promise((resolve) => {
    let left = events;
    const step = () => {
      const n = Math.min(batch, left);
      const evs = take(longGen, n);
      left -= n;
      if (evs.length) post({ type: 'run/events', runId: 'long', events: evs });
      // Let the message be handled and a frame be drawn before the next batch.
      requestAnimationFrame(() => requestAnimationFrame(() => (left > 0 && evs.length ? step() : resolve(window.fmtlCharts.stats.eventsReceived))));
    };
    step();
  });
})();
