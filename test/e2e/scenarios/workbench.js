// Smoke: the real VS Code loads, our packaged extension is installed, its contributed commands reach
// the command palette, and the sample opens. Runs even before the features land (proves the harness).
'use strict';

module.exports = {
  needsSamples: false,
  async run({ s, W, page, pkg, files, log }) {
    await s.shot('workbench');

    // the extension is installed (listed in the Extensions view's installed section)
    await W.runCommand(page, 'Extensions: Show Installed Extensions', { log });
    const listed = await W.until(page, async () => {
      const rows = await W.sideBarRows(page);
      return rows.find((r) => /feedback mtl/i.test(r));
    }, 'the Feedback MTL extension in the installed extensions list', 30000);
    log('installed:', listed.slice(0, 120));
    await s.shot('extension-installed');

    // a contributed command (if any yet) shows in the palette once the extension host scanned it
    const cmd = ((pkg.contributes || {}).commands || [])[0];
    if (cmd) {
      const label = cmd.category ? `${cmd.category}: ${cmd.title}` : cmd.title;
      const t0 = Date.now();
      const input = await W.openPalette(page, log);
      await input.fill('>' + label);
      await W.until(page, async () => {
        if (await page.locator('.quick-input-list .monaco-list-row', { hasText: cmd.title }).count()) return true;
        // reopen: the palette's list is computed when it opens
        await page.keyboard.press('Escape');
        await (await W.openPalette(page, log)).fill('>' + label);
        return false;
      }, `"${label}" in the command palette`, 60000, 1000);
      s.measure('commandInPalette', Date.now() - t0);
      await s.shot('palette');
      await page.keyboard.press('Escape');
    } else {
      log('no commands contributed yet; palette check skipped');
    }

    if (files.quick) {
      await W.openFile(page, files.quick, log);
      await page.locator('.tabs-container .tab', { hasText: files.quick }).first().waitFor({ timeout: 20000 });
      await page.waitForTimeout(1000);
      await s.shot('sample-open');
    }
  },
};
