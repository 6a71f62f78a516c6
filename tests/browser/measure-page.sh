#!/usr/bin/env bash
# Measures the evolution-trail page in headless Chromium (Debian's /usr/bin/chromium, driven by
# Playwright for Python): when the verdict is shown for the example bundle and for a generated
# history of N entries (default 10,000), each opened RUNS times (default 5) in a fresh profile,
# with the medians, the pages' sizes and the machine's load average (the figures are wall-clock
# times: on a shared machine, compare runs made under similar load), then the example's
# main-thread CPU time until its verdict, from navigation and from load, from Chromium traces
# (steadier under load). "Load" is
# the end of parsing (DOMContentLoaded: the browser has read and parsed the whole file, module,
# script and bundle included); the verdict is the moment it is put into the document
# (`pactum:verdict`), painted by the next frame (`painted`).
#
#   tests/browser/measure-page.sh [N] [RUNS]
#
# Needs `apt-get install chromium` and `pip install playwright` (what .ci/run installs). The page
# embeds the committed WebAssembly (verifier/page/pkg), so a debug build of pactum-verify makes
# the same page as a release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
entries=${1:-10000}
runs=${2:-5}
out=target/trail-page/measure
mkdir -p "$out"
cargo build --locked -q -p verifier --bin pactum-verify
verify=target/debug/pactum-verify
"$verify" example-bundle -o "$out/example.bundle" --trust-out "$out/example.toml"
"$verify" page "$out/example.bundle" --trust "$out/example.toml" -o "$out/example.html"
"$verify" example-bundle --entries "$entries" -o "$out/long.bundle" --trust-out "$out/long.toml"
"$verify" page "$out/long.bundle" --trust "$out/long.toml" -o "$out/long.html"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
python3 tests/browser/trail_page.py measure "$runs" "$out/example.html" "$out/long.html"
# CPU time rather than wall-clock: comparable across runs on a busy machine.
python3 tests/browser/trail_page.py cpu "$runs" "$out/example.html"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
