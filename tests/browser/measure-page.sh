#!/usr/bin/env bash
# Measures the evolution-trail page in headless Chromium (Debian's /usr/bin/chromium, driven by
# Playwright for Python): how long after navigation the verdict is shown, for the example
# bundle and for a generated history of N entries (default 10,000), and the page's size.
#
#   tests/browser/measure-page.sh [N]
#
# Needs `apt-get install chromium` and `pip install playwright` (what .ci/run installs).
set -euo pipefail
cd "$(dirname "$0")/../.."
entries=${1:-10000}
out=target/trail-page/measure
mkdir -p "$out"
cargo build --release --locked -p verifier --bin pactum-verify
verify=target/release/pactum-verify
"$verify" example-bundle -o "$out/example.bundle" --trust-out "$out/example.toml"
"$verify" page "$out/example.bundle" --trust "$out/example.toml" -o "$out/example.html"
"$verify" example-bundle --entries "$entries" -o "$out/long.bundle" --trust-out "$out/long.toml"
"$verify" page "$out/long.bundle" --trust "$out/long.toml" -o "$out/long.html"
# Each page is opened three times; every run is printed.
for run in 1 2 3; do
  python3 tests/browser/trail_page.py measure "$out/example.html" "$out/long.html"
done
