# Shared helpers for the examples: start a set of `pactum-node run` processes on loopback,
# each with its own directory, wire them as peers, and talk to them over the HTTP API.
# Sourced by examples/*/run.sh; needs bash, curl and python3 (to pick fields out of JSON).

set -euo pipefail

EXAMPLES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$EXAMPLES_DIR/.." && pwd)"

# Every wait below gives up after this many tries of WAIT_STEP seconds.
WAIT_TRIES="${WAIT_TRIES:-150}"
WAIT_STEP="${WAIT_STEP:-0.2}"

declare -A NODE_PID NODE_URL NODE_TOKEN NODE_KEY NODE_P2P NODE_CONFIG
ROLES=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { printf '\033[31mFAILED: %s\033[0m\n' "$*" >&2; exit 1; }

# The binaries: $PACTUM_BIN_DIR, or a release build of this checkout.
find_binaries() {
    if [[ -z "${PACTUM_BIN_DIR:-}" ]]; then
        say "building pactum-node and pactum-verify (release)"
        (cd "$REPO_DIR" && cargo build --release -p pactum-node -p verifier)
        PACTUM_BIN_DIR="${CARGO_TARGET_DIR:-$REPO_DIR/target}/release"
    fi
    NODE_BIN="$PACTUM_BIN_DIR/pactum-node"
    # PACTUM_VERIFY may point at another pactum-verify (e.g. one built elsewhere).
    VERIFY_BIN="${PACTUM_VERIFY:-$PACTUM_BIN_DIR/pactum-verify}"
    [[ -x "$NODE_BIN" ]] || fail "no pactum-node in $PACTUM_BIN_DIR"
    [[ -x "$VERIFY_BIN" ]] || fail "no pactum-verify at $VERIFY_BIN"
}

# A scratch folder for every node's directory; removed on exit unless KEEP=1.
make_workdir() {
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/pactum-example.XXXXXX")"
    trap cleanup EXIT INT TERM
}

# Stops exactly the processes this script started, then removes the scratch folder.
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    for role in "${ROLES[@]}"; do
        local pid="${NODE_PID[$role]:-}"
        [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
    done
    for role in "${ROLES[@]}"; do
        local pid="${NODE_PID[$role]:-}"
        [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true
    done
    if [[ "${KEEP:-0}" == 1 ]]; then
        echo "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}

# A TCP port nobody listens on right now (the OS picks it).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# `pactum-node init` for one party; remembers its key, URL, token and libp2p port.
init_node() {
    local role="$1" p2p http
    p2p="$(free_port)"; http="$(free_port)"
    "$NODE_BIN" init --dir "$WORK/$role" --role "$role" \
        --listen "/ip4/127.0.0.1/tcp/$p2p" --http "127.0.0.1:$http" --checkpoint-batch 16 >/dev/null
    ROLES+=("$role")
    NODE_CONFIG[$role]="$WORK/$role/pactum-node.toml"
    NODE_P2P[$role]="$p2p"
    NODE_URL[$role]="http://127.0.0.1:$http"
    NODE_TOKEN[$role]="$(sed -n 's/^token = "\(.*\)"$/\1/p' "${NODE_CONFIG[$role]}")"
    NODE_KEY[$role]="$(sed -n 's/^# This node.s party key: \([0-9a-f]*\)$/\1/p' "${NODE_CONFIG[$role]}")"
    [[ ${#NODE_KEY[$role]} == 64 ]] || fail "could not read $role's public key"
    echo "$role: key ${NODE_KEY[$role]:0:16}…, API ${NODE_URL[$role]}, libp2p port $p2p"
}

# Lists every other party under [[peers]] in each node's configuration (what an operator
# does by hand with the keys and addresses the others send them). Appending works because
# [[peers]] blocks are the last tables of the file.
introduce_peers() {
    for role in "${ROLES[@]}"; do
        for other in "${ROLES[@]}"; do
            [[ "$other" == "$role" ]] && continue
            cat >>"${NODE_CONFIG[$role]}" <<TOML

[[peers]]
role = "$other"
public_key = "${NODE_KEY[$other]}"
addresses = ["/ip4/127.0.0.1/tcp/${NODE_P2P[$other]}"]
TOML
        done
    done
}

# Starts one node in the background, logging to its directory, and waits for /health.
start_node() {
    local role="$1"
    RUST_LOG="${RUST_LOG:-warn}" "$NODE_BIN" run --config "${NODE_CONFIG[$role]}" \
        >"$WORK/$role/node.log" 2>&1 &
    NODE_PID[$role]=$!
    wait_for "$role's API" node_healthy "$role"
}

node_healthy() {
    kill -0 "${NODE_PID[$1]}" 2>/dev/null || fail "$1's node exited: $(tail -5 "$WORK/$1/node.log")"
    curl -fsS "${NODE_URL[$1]}/health" >/dev/null 2>&1
}

# wait_for DESCRIPTION COMMAND ARGS…: retries COMMAND, bounded in count and time.
wait_for() {
    local what="$1"; shift
    local try
    for ((try = 0; try < WAIT_TRIES; try++)); do
        "$@" && return 0
        sleep "$WAIT_STEP"
    done
    fail "timed out waiting for $what"
}

# HTTP calls. Every call is bounded by curl's own timeout; a 4xx/5xx prints the error body.
api_get() {
    curl -sS --max-time 30 -f "${NODE_URL[$1]}$2"
}
api_post() {
    local role="$1" path="$2" body="$3" out code
    out="$(mktemp "$WORK/response.XXXXXX")"
    code="$(curl -sS --max-time 30 -o "$out" -w '%{http_code}' -X POST \
        -H "Authorization: Bearer ${NODE_TOKEN[$role]}" -H 'Content-Type: application/json' \
        --data-binary "$body" "${NODE_URL[$role]}$path")"
    if [[ "$code" != 2* ]]; then
        echo "POST $path on $role's node: HTTP $code $(cat "$out")" >&2
        rm -f "$out"; return 1
    fi
    cat "$out"; rm -f "$out"
}

# json_field EXPRESSION: reads JSON on stdin, prints data<EXPRESSION> (a Python expression).
json_field() {
    python3 -c 'import json,sys; data=json.load(sys.stdin); v=eval("data"+sys.argv[1]); print(v if isinstance(v,str) else json.dumps(v))' "$1"
}

# The pactum-node client, pointed at one party's node.
client() {
    local role="$1"; shift
    "$NODE_BIN" "$@" --config "${NODE_CONFIG[$role]}"
}

# Prints what a committed entry changed, from the JSON an event or review submission returns.
describe_entry() {
    python3 -c '
import json, sys
r = json.load(sys.stdin)
e = r.get("entry") or {}
# A node that is not the sequencer may answer before its own copy of the entry is stored:
# then only the sequence number and hash come back.
summary = e.get("summary") or "entry hash %s" % str(r.get("entry_hash"))[:16]
print("   entry %s committed=%s: %s" % (r.get("seq"), str(r.get("committed")).lower(), summary))
outcome = e.get("outcome") or {}
applied = outcome.get("effects") or {}
for a in applied.get("amendments", []):
    print("     amended %s: %s -> %s (%s, rule %s)" % (a["term"], json.dumps(a.get("before")), json.dumps(a["after"]), a["source"]["clause"], a["source"]["rule"]))
for o in applied.get("obligations", []):
    print("     %s: %s owes %s %s %s" % (o["kind"], o["from"]["name"], o["to"]["name"], o["amount"]["amount"], o["amount"]["currency"]))
for n in applied.get("notifications", []):
    print("     notify %s: %s" % (n["party"]["name"], n["message"]))
if outcome.get("type") not in (None, "applied"):
    print("     %s: %s" % (outcome["type"], json.dumps({k: v for k, v in outcome.items() if k != "type"})))
'
}

# One line per entry of GET /orders/{id}/history: sequence, what it recorded, what it changed.
show_history() {
    api_get "$1" "/orders/$2/history" | python3 -c '
import json, sys
for e in json.load(sys.stdin).get("entries", []):
    ev = e.get("event") or {}
    what = ("%s at %s" % (ev.get("kind"), ev.get("at"))) if ev else e.get("kind")
    print("   #%-2s %-44s %s  [signed by %s]" % (e.get("seq"), what, e.get("summary"), ", ".join(e.get("signed_by", []))))
'
}
