#!/usr/bin/env bash
# End-to-end tests in a real VS Code (code-server) driven by Debian chromium (npm run test:e2e).
#   1. build the extension (node esbuild.mjs) and package it with vsce (--no-dependencies: dist/ holds
#      the bundles and the wasm binaries)
#   2. install the .vsix into a fresh extensions dir
#   3. run-all.js: per scenario a fresh code-server (profile, HOME, XDG, TMPDIR, workspace copy),
#      drive it, screenshots into test/e2e/.shots/, stop it
# Needs the tools of test/e2e/setup.sh (cached in $FMTL_E2E_TOOLS, default ~/.cache/fmtl-e2e).
# Usage: bash test/e2e/run.sh [scenario ...]     (workbench, train, graph, charts, insights, template, native; default all)
# Env: E2E_OUT (screenshots; default test/e2e/.shots), E2E_KEEP=1 (keep per-run folders),
#      E2E_SKIP_BUILD=1 (reuse dist/).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
export FMTL_E2E_TOOLS="${FMTL_E2E_TOOLS:-$HOME/.cache/fmtl-e2e}"
TOOLS="$FMTL_E2E_TOOLS"
export E2E_OUT="${E2E_OUT:-$HERE/.shots}"
S0=$(date +%s%3N)
say() { echo "=== [e2e $(( ($(date +%s%3N) - S0) / 1000 ))s] $*"; }

for f in "$TOOLS/node24/bin/node" "$TOOLS/cs/node_modules/code-server/out/node/entry.js" \
         "$TOOLS/drv/node_modules/playwright-core/package.json" "$TOOLS/drv/node_modules/.bin/vsce"; do
  [ -e "$f" ] || { echo "e2e tools missing ($f): run bash test/e2e/setup.sh first"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
done
command -v chromium >/dev/null || { echo "chromium missing: run bash test/e2e/setup.sh first"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

# Short base path: VS Code puts unix sockets under TMPDIR (108-byte limit).
RUN_BASE="$(mktemp -d /tmp/fmtl-e2e.XXXXXX)"
export E2E_RUN_BASE="$RUN_BASE"
cleanup() { [ -n "${E2E_KEEP:-}" ] || rm -rf "$RUN_BASE"; }
trap cleanup EXIT

rm -rf "$E2E_OUT"; mkdir -p "$E2E_OUT"
cd "$REPO"
if [ -z "${E2E_SKIP_BUILD:-}" ]; then
  say "build (node esbuild.mjs --production: minified, as vscode:prepublish ships it)"
  node esbuild.mjs --production
fi

say "package (vsce --no-dependencies, from a staged copy)"
# Package a snapshot, not the live tree: in a shared checkout another build may rewrite dist/ while
# vsce zips it. .vscodeignore (applied by vsce) decides what ships; node_modules/.git/out never do.
STAGE="$RUN_BASE/stage"
for try in 1 2 3; do
  rm -rf "$STAGE"; mkdir -p "$STAGE"
  if tar -C "$REPO" --exclude=./node_modules --exclude=./.git --exclude=./out --exclude=./.fmtl \
       --exclude=./test --exclude=./bench -cf - . 2>/dev/null | tar -C "$STAGE" -xf - \
     && [ -f "$STAGE/dist/extension.js" ] && ls "$STAGE"/dist/*.wasm >/dev/null 2>&1; then break; fi
  [ "$try" = 3 ] && { echo "could not stage the build (dist/extension.js or the wasm files missing)"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
  sleep 2
done
# The stage is built already and has no node_modules: vsce must not run vscode:prepublish there.
node -e 'const f=process.argv[1],p=JSON.parse(require("fs").readFileSync(f,"utf8"));delete p.scripts["vscode:prepublish"];require("fs").writeFileSync(f,JSON.stringify(p,null,2))' "$STAGE/package.json"
VSIX="$RUN_BASE/feedback-mtl.vsix"
# (--base*Url: README's relative images need a base when package.json has no repository; the
#  .vsix is only installed here, so a placeholder does)
( cd "$STAGE" && "$TOOLS/drv/node_modules/.bin/vsce" package --no-dependencies --skip-license --allow-missing-repository \
    --allow-star-activation --baseContentUrl https://localhost/ --baseImagesUrl https://localhost/ -o "$VSIX" ) > "$RUN_BASE/vsce.log" 2>&1 \
  || { cat "$RUN_BASE/vsce.log"; echo "vsce package failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
echo "    $(du -h "$VSIX" | cut -f1) $(grep -o '([0-9]* files' "$RUN_BASE/vsce.log" | tr -d '(') in the .vsix"

say "install the .vsix into a fresh extensions dir"
export E2E_EXTENSIONS_DIR="$RUN_BASE/extensions"
mkdir -p "$E2E_EXTENSIONS_DIR" "$RUN_BASE/inst/home" "$RUN_BASE/inst/tmp"
HOME="$RUN_BASE/inst/home" XDG_DATA_HOME="$RUN_BASE/inst/xdg" XDG_CONFIG_HOME="$RUN_BASE/inst/xdg" TMPDIR="$RUN_BASE/inst/tmp" \
  "$TOOLS/node24/bin/node" "$TOOLS/cs/node_modules/code-server/out/node/entry.js" \
  --user-data-dir "$RUN_BASE/inst/ud" --extensions-dir "$E2E_EXTENSIONS_DIR" --install-extension "$VSIX" \
  > "$RUN_BASE/install.log" 2>&1 || { cat "$RUN_BASE/install.log"; echo "extension install failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

say "scenarios (screenshots and summary.json -> ${E2E_OUT#$REPO/})"
# run-all.js prints the final `N passed, N failed, N skipped` line and sets the exit code
NODE_PATH="$TOOLS/drv/node_modules" node "$HERE/run-all.js" "$@"
