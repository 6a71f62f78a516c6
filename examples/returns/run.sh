#!/usr/bin/env bash
# Returns with the clause library's express_refund clause, as three separate `pactum-node run`
# processes (seller, buyer, carrier) on loopback, driven over their HTTP APIs. Two orders:
#
#   1. delivered; the buyer asks to return it; the seller inspects it 7 days after delivery,
#      intact and complete → the clause owes the buyer a full refund, no discussion.
#   2. delivered; the return comes back damaged → the clause sends the order to review; every
#      party signs the same decision and the order resumes.
#
# Each fact is attested by the party who knows it: the carrier the delivery, the buyer the
# return request, the seller the inspection. Both bundles are exported and verified.
#
# Usage: bash examples/returns/run.sh   (PACTUM_BIN_DIR=dir-with-binaries to skip the build,
# KEEP=1 to keep the nodes' directories).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/nodes.sh"

# A road delivery inside Germany with a 7-day express refund window (the clause's default,
# bound explicitly here to show how a parameter is set).
proposal_json() {
    local order_ref="$1"
    cat <<JSON
{
  "order_ref": "$order_ref",
  "parties": {"seller": "${NODE_KEY[seller]}", "buyer": "${NODE_KEY[buyer]}", "carrier": "${NODE_KEY[carrier]}"},
  "sequencer": "seller",
  "jurisdiction": "DE",
  "terms": {
    "transport_mode": "road",
    "delivery_due": "2026-03-01T00:00:00Z",
    "price": "249.90 EUR",
    "route_regions": ["Bavaria"],
    "buyer_may_terminate": false
  },
  "clauses": [
    {"name": "express_refund", "params": {"window": "7d"}}
  ],
  "attesters": [
    {"name": "carrier", "key": "${NODE_KEY[carrier]}", "kinds": ["shipment.*"]},
    {"name": "buyer", "key": "${NODE_KEY[buyer]}", "kinds": ["return.requested"]},
    {"name": "seller", "key": "${NODE_KEY[seller]}", "kinds": ["return.inspected"]}
  ],
  "genesis_at": "2026-02-20T00:00:00Z"
}
JSON
}

order_state() { api_get "$1" "/orders/$2" | json_field '["status"]["state"]'; }
running_everywhere() {
    local order="$1" role
    for role in "${ROLES[@]}"; do [[ "$(order_state "$role" "$order")" == running ]] || return 1; done
}

# start_order REF: the seller proposes, the others accept; prints the order id.
start_order() {
    local ref="$1" order
    proposal_json "$ref" >"$WORK/$ref.json"
    order="$(client seller propose "$WORK/$ref.json" | json_field '["order"]')"
    client buyer accept "$order" >/dev/null
    client carrier accept "$order" >/dev/null
    wait_for "order $ref to start on every node" running_everywhere "$order"
    echo "$order"
}

# attest ROLE ORDER CAPTION KIND AT FIELD=VALUE…: ROLE's node signs the fact and submits it.
attest() {
    local role="$1" order="$2" caption="$3" kind="$4" at="$5"; shift 5
    local args=() field
    for field in "$@"; do args+=(--field "$field"); done
    echo " - $caption ($role attests $kind)"
    client "$role" event "$order" --kind "$kind" --at "$at" "${args[@]}" | describe_entry
}

show_order() {
    api_get buyer "/orders/$1" | python3 -c '
import json, sys
o = json.load(sys.stdin)
print("   status: %s" % json.dumps(o["status"]))
for ob in o["obligations"]:
    print("   obligation: " + json.dumps(ob, ensure_ascii=False))
'
}

# verify ORDER NAME: exports the bundle from the seller's node and verifies it against the
# trust file the seller's checkpoint gives (its log key and the other parties as witnesses).
verify() {
    local order="$1" name="$2"
    client seller bundle "$order" --out "$WORK/$name.bundle"
    api_get seller /checkpoint | json_field '["trust"]' >"$WORK/trust.json"
    "$VERIFY_BIN" --trust "$WORK/trust.json" "$WORK/$name.bundle"
}

main() {
    find_binaries
    make_workdir

    say "three parties, each with its own directory under $WORK"
    init_node seller; init_node buyer; init_node carrier
    introduce_peers
    start_node seller; start_node buyer; start_node carrier

    say "order RT-1: an intact, complete return on day 7 is refunded"
    local intact
    intact="$(start_order RT-1)"
    echo "   order $intact"
    attest carrier "$intact" "parcel delivered to the buyer" \
        shipment.delivered 2026-03-01T10:00:00Z received_by=buyer
    attest buyer "$intact" "the buyer asks to return it" \
        return.requested 2026-03-04T09:00:00Z reason="does not fit"
    attest seller "$intact" "the seller inspects it: intact, accessories complete, 7 days after delivery" \
        return.inspected 2026-03-08T10:00:00Z appearance=intact accessories_complete=true
    show_order "$intact"

    say "order RT-2: a damaged return goes to people"
    local damaged
    damaged="$(start_order RT-2)"
    echo "   order $damaged"
    attest carrier "$damaged" "parcel delivered to the buyer" \
        shipment.delivered 2026-03-01T10:00:00Z received_by=buyer
    attest buyer "$damaged" "the buyer asks to return it" \
        return.requested 2026-03-02T09:00:00Z reason="changed my mind"
    attest seller "$damaged" "the seller inspects it: damaged" \
        return.inspected 2026-03-03T10:00:00Z appearance=damaged accessories_complete=true
    show_order "$damaged"
    [[ "$(order_state seller "$damaged")" != running ]] || fail "the damaged return did not go to review"

    # A clause's review request holds nothing to apply, so the only decision is `discard`:
    # the parties record what they agreed in the note and the order resumes.
    say "every party signs the same review of RT-2"
    local note="housing scratched on the way back: seller refunds 50% (124.95 EUR) by separate agreement" role
    for role in seller buyer carrier; do
        client "$role" review "$damaged" --decision discard --note "$note" >/dev/null
        echo "   $role signed"
    done
    wait_for "RT-2 to resume on every node" running_everywhere "$damaged"
    show_order "$damaged"

    say "histories"
    echo " RT-1:"; show_history seller "$intact"
    echo " RT-2:"; show_history seller "$damaged"

    say "export both bundles and verify them"
    verify "$intact" RT-1
    verify "$damaged" RT-2
}

main "$@"
