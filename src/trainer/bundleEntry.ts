/**
 * The one Node bundle of the trainer (`dist/trainer.js`): run by the host as the trainer process
 * (then `main.ts` serves its IPC channel), and loaded by `dist/cli.js` for the `fmtl` CLI. One
 * copy of tfjs and the library for both. Each side is initialised lazily, so the trainer process
 * does not evaluate the CLI's modules (the sweep queue client among them) and the CLI does not
 * start the IPC trainer.
 */

/** The `fmtl` CLI (`cli.ts` `main`): resolves to the exit code. */
export function cliMain(argv?: readonly string[]): Promise<number> {
  return import('./cli').then((m) => m.main(argv));
}

// Started as a process (the host forks dist/trainer.js with IPC): be the trainer process.
if (require.main === module) void import('./main');
