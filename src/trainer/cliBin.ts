/**
 * `dist/cli.js`, the `fmtl` bin: starts the CLI that lives in `dist/trainer.js` with the rest of the
 * trainer (see `bundleEntry.ts`), so the library ships once.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { cliMain } = require('./trainer.js') as typeof import('./bundleEntry');

cliMain().then((code) => {
  process.exitCode = code;
  // Exit even if a backend left a handle open; output is flushed (sync pipes/files/TTYs on Linux).
  setTimeout(() => process.exit(code), 1000).unref();
});
