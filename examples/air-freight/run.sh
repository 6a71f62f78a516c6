#!/usr/bin/env bash
# The air-freight scenario of `pactum-node demo`, as three separate `pactum-node run` processes
# (seller, buyer, carrier) on loopback, driven over their HTTP APIs:
#
#   sea departure → day 40: ETA past 42 days at sea, the order switches to air → typhoon red
#   alert extends the due date by 72 hours → a faulty feed replays the alert: a third automatic
#   amendment within 24 hours trips the circuit breaker → every party signs a review that
#   discards the held extension → delivered 36 hours late, compensation owed → bundle exported
#   and verified.
#
# Usage: bash examples/air-freight/run.sh   (PACTUM_BIN_DIR=dir-with-binaries to skip the build,
# KEEP=1 to keep the nodes' directories).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/nodes.sh"

# The proposal the seller's operator submits. The demo has a separate weather service sign
# the weather alerts; a shell script has no signing tool for a node-less oracle, so here the
# carrier's node attests weather alerts on the route as well as shipment facts.
proposal_json() {
    cat <<JSON
{
  "order_ref": "PO-2026-0117",
  "parties": {"seller": "${NODE_KEY[seller]}", "buyer": "${NODE_KEY[buyer]}", "carrier": "${NODE_KEY[carrier]}"},
  "sequencer": "seller",
  "jurisdiction": "CN",
  "terms": {
    "transport_mode": "sea",
    "delivery_due": "2026-03-01T00:00:00Z",
    "price": "12000.00 EUR",
    "route_regions": ["Guangdong", "Hong Kong"],
    "buyer_may_terminate": false
  },
  "clauses": [
    {"name": "air_freight_fallback"},
    {"name": "force_majeure"},
    {"name": "late_delivery_penalty"}
  ],
  "attesters": [
    {"name": "carrier", "key": "${NODE_KEY[carrier]}", "kinds": ["shipment.*", "weather.*"]}
  ],
  "breaker": {"max_automatic_amendments": 2, "window_seconds": 86400},
  "genesis_at": "2026-01-05T00:00:00Z"
}
JSON
}

# One line per aspect of the order as the buyer's node sees it (any party's node would do:
# they hold the same co-signed state).
show_order() {
    api_get buyer "/orders/$ORDER" | python3 -c "$SUMMARY_PY"
}
SUMMARY_PY='
import json, sys
o = json.load(sys.stdin)
t, b = o["terms"], o["breaker"]
print("   seq %s: status %s; mode %s, due %s" % (o["seq"], o["status"]["state"], t.get("transport_mode"), t.get("delivery_due")))
for ob in o["obligations"]:
    print("   obligation: " + json.dumps(ob, ensure_ascii=False))
print("   breaker: %s/%s automatic amendments in the window, tripped=%s"
      % (b["amendments_in_window"], b["max_automatic_amendments"], str(b["tripped"]).lower()))
'

# carrier_event CAPTION KIND AT FIELD=VALUE…: the carrier's node signs the fact and submits it;
# the sequencer (seller) commits it once every party's node has recomputed and co-signed it.
carrier_event() {
    local caption="$1" kind="$2" at="$3"; shift 3
    local args=() field
    for field in "$@"; do args+=(--field "$field"); done
    say "$caption"
    client carrier event "$ORDER" --kind "$kind" --at "$at" "${args[@]}" \
        | describe_entry
    show_order
}

order_state() { api_get "$1" "/orders/$ORDER" | json_field '["status"]["state"]'; }
running_everywhere() {
    local role
    for role in "${ROLES[@]}"; do [[ "$(order_state "$role")" == running ]] || return 1; done
}

main() {
    find_binaries
    make_workdir

    say "three parties, each with its own directory under $WORK"
    init_node seller; init_node buyer; init_node carrier
    introduce_peers
    start_node seller; start_node buyer; start_node carrier

    say "the seller proposes the order; buyer and carrier accept"
    proposal_json >"$WORK/proposal.json"
    ORDER="$(client seller propose "$WORK/proposal.json" | json_field '["order"]')"
    echo "   order $ORDER"
    client buyer accept "$ORDER" >/dev/null
    client carrier accept "$ORDER" | json_field '["status"]' | sed 's/^/   /'
    # The genesis is co-signed asynchronously once the last party accepted.
    wait_for "the order to start on every node" running_everywhere
    show_order

    carrier_event "the container ship leaves Shenzhen (sea freight)" \
        shipment.departed 2026-01-10T00:00:00Z port=Shenzhen
    carrier_event "day 40: the new ETA means 47 days at sea, past the 42-day limit" \
        shipment.eta_updated 2026-02-19T18:00:00Z eta=2026-02-26T00:00:00Z
    carrier_event "typhoon red alert on the route (Hong Kong): the due date moves by 72 hours" \
        weather.alert 2026-02-20T06:00:00Z kind=typhoon level=red region="Hong Kong"
    carrier_event "a faulty feed replays the typhoon alert: a third amendment within 24 hours" \
        weather.alert 2026-02-20T12:00:00Z kind=typhoon level=red region="Hong Kong"
    [[ "$(order_state seller)" != running ]] || fail "the breaker did not trip"

    say "every party signs the same review: discard the held extension"
    local note="typhoon alert replayed by a faulty feed; held extension discarded" role
    for role in seller buyer carrier; do
        client "$role" review "$ORDER" --decision discard --note "$note" >/dev/null
        echo "   $role signed"
    done
    wait_for "the order to resume on every node" running_everywhere
    show_order

    carrier_event "the goods reach Hamburg 36 hours after the extended due date" \
        shipment.delivered 2026-03-05T12:00:00Z received_by="Hamburg DC"

    say "the history, as the seller's node keeps it"
    show_history seller "$ORDER"

    say "export the bundle and verify it with the seller's checkpoint as trust"
    client seller bundle "$ORDER" --out "$WORK/order.bundle"
    api_get seller /checkpoint | json_field '["trust"]' >"$WORK/trust.json"
    "$VERIFY_BIN" --trust "$WORK/trust.json" "$WORK/order.bundle"
}

main "$@"
