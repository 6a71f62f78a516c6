#!/usr/bin/env bash
# Which WebAssembly functions the demo's verdict waits for, and how many bytes of code they are.
# The browser compiles each function on the page's thread the first time it is called, so the
# bytes of the functions called before the verdict are what the verdict waits for.
#
#   tests/browser/called-code.sh [TOP]
#
# 1. rebuilds the module (.ci/build-page-wasm: verifier/page/pkg, and a copy with the
#    functions' names in target/trail-page/called/named);
# 2. writes the demo's page with it and loads it once in headless Chromium under tracing
#    (`trail_page.py called`): the functions V8 compiled on their first call (`wasm.CompileLazy`)
#    before the page's `pactum:verdict` mark;
# 3. names them and adds up their bytes, grouped by where the code comes from, with the TOP
#    largest (`wasm_code.py called`).
#
# Needs what measure-page.sh needs, and the wasm target and wasm-bindgen-cli (build-page-wasm
# installs them). It leaves verifier/page/pkg rebuilt from the working tree.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=${1:-40}
out=target/trail-page/called
rm -rf "$out"
mkdir -p "$out"
.ci/build-page-wasm --named "$out/named"
python3 tests/browser/wasm_code.py same-code "$out/named/pactum_verify_wasm_bg.wasm" \
  verifier/page/pkg/pactum_verify_wasm_bg.wasm
cargo build --locked -q -p verifier --bin pactum-verify
verify=target/debug/pactum-verify
"$verify" example-bundle -o "$out/example.bundle" --trust-out "$out/example.toml"
"$verify" page "$out/example.bundle" --trust "$out/example.toml" -o "$out/example.html"
python3 tests/browser/trail_page.py called "$out/example.html" "$out/called.txt"
python3 tests/browser/wasm_code.py called "$out/named/pactum_verify_wasm_bg.wasm" "$out/called.txt" "$top"
