#!/usr/bin/env python3
"""What an ERP/WMS/TMS integrator writes against Pactum nodes, from README.md, node/README.md
and the OpenAPI document alone (Python 3 standard library only):

  1. three parties' nodes (seller, buyer, carrier) set up with `pactum-node init` and run;
  2. the buyer's ERP subscribes a webhook (POST /webhooks) for notifications and obligations,
     the carrier's TMS one for notifications;
  3. the seller's ERP proposes an order (POST /orders); the buyer and the carrier read it,
     clauses rendered as text, before signing (GET /proposals) and accept it;
  4. the carrier's TMS pushes GS1 EPCIS 2.0 documents (POST /ingest/epcis: departure, an
     arrival with a revised ETA, delivery) and the weather service's OASIS CAP 1.2 typhoon
     alert arrives (POST /ingest/cap);
  5. every notification and obligation the order's history records reaches the webhooks, each
     delivery's Pactum-Signature checked (HMAC-SHA256 over "t." + body, docs/webhooks.md);
  6. the order's bundle is verified with pactum-verify against the seller's checkpoint.

Exits 0 when all of it holds, 1 with a message naming what did not. Run by
node/tests/integrator_example.rs; by hand:

    cargo build -p pactum-node -p verifier
    PACTUM_BIN_DIR=target/debug python3 examples/integrator/integrate.py

Environment: PACTUM_BIN_DIR (holds pactum-node and pactum-verify; default target/debug),
KEEP=1 keeps the nodes' directories, WAIT_SECONDS bounds every wait (default 60).
"""

import hashlib
import hmac
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN_DIR = os.environ.get("PACTUM_BIN_DIR", os.path.join(REPO, "target", "debug"))
NODE_BIN = os.path.join(BIN_DIR, "pactum-node")
VERIFY_BIN = os.path.join(BIN_DIR, "pactum-verify")
WAIT_SECONDS = float(os.environ.get("WAIT_SECONDS", "60"))
ROLES = ["seller", "buyer", "carrier"]
SECRET = "integrator-webhook-secret-0123456789"
STARTED = []  # the nodes this script started, stopped on exit


class Failed(Exception):
    pass


def say(text):
    print("== " + text, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check):
    """Retries check() until it returns something truthy, for at most WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise Failed("timed out waiting for " + what)
        time.sleep(0.2)


# ---------------------------------------------------------------------------------------------
# The nodes: `pactum-node init`, peers listed in each configuration, `pactum-node run`.


class Node:
    def __init__(self, work, role):
        self.role = role
        self.dir = os.path.join(work, role)
        self.p2p = free_port()
        self.url = "http://127.0.0.1:%d" % free_port()
        subprocess.run(
            [NODE_BIN, "init", "--dir", self.dir, "--role", role,
             "--listen", "/ip4/127.0.0.1/tcp/%d" % self.p2p,
             "--http", self.url[len("http://"):], "--checkpoint-batch", "4"],
            check=True, stdout=subprocess.DEVNULL)
        self.config = os.path.join(self.dir, "pactum-node.toml")
        text = open(self.config).read()
        self.token = value_after(text, 'token = "', '"')
        self.key = value_after(text, "party key: ", "\n").strip()
        self.process = None

    def add_peer(self, other):
        with open(self.config, "a") as config:
            config.write('\n[[peers]]\nrole = "%s"\npublic_key = "%s"\naddresses = ["/ip4/127.0.0.1/tcp/%d"]\n'
                         % (other.role, other.key, other.p2p))

    def start(self):
        log = open(os.path.join(self.dir, "node.log"), "w")
        env = dict(os.environ, RUST_LOG=os.environ.get("RUST_LOG", "warn"))
        self.process = subprocess.Popen([NODE_BIN, "run", "--config", self.config],
                                        stdout=log, stderr=subprocess.STDOUT, env=env)
        STARTED.append(self)
        wait_for(self.role + "'s /health", lambda: self.healthy())

    def healthy(self):
        if self.process.poll() is not None:
            raise Failed("%s's node exited; see %s/node.log" % (self.role, self.dir))
        try:
            return self.call("GET", "/health") is not None
        except (urllib.error.URLError, ConnectionError, Failed):
            return False

    def call(self, method, path, body=None, content_type="application/json"):
        """One API call; a 4xx/5xx raises Failed with the node's error body."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=body, method=method)
        request.add_header("Authorization", "Bearer " + self.token)
        if body is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                data = answer.read()
                return json.loads(data) if answer.headers.get_content_type() == "application/json" else data
        except urllib.error.HTTPError as error:
            raise Failed("%s %s on %s's node: HTTP %d %s"
                         % (method, path, self.role, error.code, error.read().decode(errors="replace")))

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def value_after(text, start, end):
    at = text.find(start)
    if at < 0:
        raise Failed("configuration lacks %r" % start)
    at += len(start)
    return text[at:text.index(end, at)]


# ---------------------------------------------------------------------------------------------
# The integrator's webhook endpoint: checks each Pactum-Signature, keeps each delivery once.


def signature_valid(secret, header, body, tolerance=300):
    """docs/webhooks.md: v1 = hex HMAC-SHA256(secret, "<t>." + body); old timestamps refused."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [v for k, v in fields if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(time.time() - int(stamps[0])) > tolerance:
        return False
    expected = hmac.new(secret.encode(), stamps[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, v) for k, v in fields if k == "v1")


class Receiver:
    def __init__(self):
        self.deliveries = {}  # Pactum-Delivery → (path, body)
        self.bad_signatures = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                valid = signature_valid(SECRET, self.headers.get("Pactum-Signature", ""), body)
                with receiver.lock:
                    if valid:
                        # At least once: the same Pactum-Delivery may come again.
                        receiver.deliveries[self.headers["Pactum-Delivery"]] = (self.path, json.loads(body))
                    else:
                        receiver.bad_signatures += 1
                self.send_response(204 if valid else 401)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, path):
        with self.lock:
            return [body for (at, body) in self.deliveries.values() if at == path]


# ---------------------------------------------------------------------------------------------
# The integration.


def proposal(nodes):
    return {
        "order_ref": "PO-2026-0117",
        "parties": {role: nodes[role].key for role in ROLES},
        "sequencer": "seller",
        "jurisdiction": "CN",
        "terms": {
            "transport_mode": "sea",
            "delivery_due": "2026-03-01T00:00:00Z",
            "price": {"amount": "12000.00", "currency": "EUR"},
            "route_regions": ["Guangdong", "Hong Kong"],
            "buyer_may_terminate": False,
        },
        "clauses": [
            {"name": "air_freight_fallback", "params": {"max_sea_transit": "P42D"}},
            {"name": "force_majeure"},
            {"name": "late_delivery_penalty"},
        ],
        # The carrier's node signs what its TMS and its weather feed report.
        "attesters": [{"name": "carrier", "key": nodes["carrier"].key,
                       "kinds": ["shipment.*", "weather.*"]}],
        "breaker": {"max_automatic_amendments": 3, "window_seconds": 86400},
        "genesis_at": "2026-01-05T00:00:00Z",
    }


def document(name):
    with open(os.path.join(REPO, "examples", "ingest", name), "rb") as f:
        return f.read()


def effects_in_history(node, order):
    """Every notification and obligation the order's committed entries record."""
    found = {"notification": [], "obligation": []}
    for entry in node.call("GET", "/orders/%s/history" % order)["entries"]:
        effects = (entry.get("outcome") or {}).get("effects") or {}
        found["notification"] += [(entry["seq"], n) for n in effects.get("notifications", [])]
        found["obligation"] += [(entry["seq"], o) for o in effects.get("obligations", [])]
    return found


def run(work):
    receiver = Receiver()
    say("three nodes: init, peers, run")
    nodes = {role: Node(work, role) for role in ROLES}
    for node in nodes.values():
        for other in nodes.values():
            if other is not node:
                node.add_peer(other)
    for node in nodes.values():
        node.start()
    seller, buyer, carrier = nodes["seller"], nodes["buyer"], nodes["carrier"]

    say("webhooks: the buyer's ERP and the carrier's TMS subscribe")
    buyer.call("POST", "/webhooks", {"url": receiver.url + "/buyer-erp", "secret": SECRET,
                                     "kinds": ["notification", "obligation"]})
    carrier.call("POST", "/webhooks", {"url": receiver.url + "/carrier-tms", "secret": SECRET,
                                       "kinds": ["notification"]})

    say("the seller proposes; the buyer and the carrier read the proposal, then accept")
    order = seller.call("POST", "/orders", proposal(nodes))["order"]
    for role in ("buyer", "carrier"):
        invited = wait_for(role + "'s invitation", lambda: [
            p for p in nodes[role].call("GET", "/proposals?lang=en")["proposals"] if p["order"] == order])
        for clause in invited[0]["clauses"]:
            if not clause.get("text"):
                raise Failed("clause %s has no rendered text for %s" % (clause.get("name"), role))
        print("   %s reads %d clauses, e.g. %s" % (role, len(invited[0]["clauses"]),
                                                     invited[0]["clauses"][0]["text"].splitlines()[0]))
        nodes[role].call("POST", "/orders/%s/accept" % order, {})
    wait_for("the genesis at every party", lambda: all(
        node_has(node, order, 0) for node in nodes.values()))

    say("the carrier's TMS pushes EPCIS; the weather service's CAP alert arrives")
    for name, path in [("epcis-voyage.json", "/ingest/epcis"), ("cap-typhoon.xml", "/ingest/cap"),
                       ("epcis-delivered.json", "/ingest/epcis")]:
        kind = "application/cap+xml" if name.endswith(".xml") else "application/ld+json"
        answer = carrier.call("POST", path, document(name), kind)
        for fact in answer["facts"]:
            print("   %s %s → %s at %s, entry #%s" % (name, fact["path"], fact["kind"], fact["at"],
                                                    fact["result"].get("seq")))
    head = carrier.call("GET", "/orders/" + order)["seq"]
    wait_for("every party at entry #%d" % head,
             lambda: all(node_has(node, order, head) for node in nodes.values()))
    view = buyer.call("GET", "/orders/" + order)
    print("   terms now: transport %s, due %s; obligations %s" % (
        view["terms"]["transport_mode"], view["terms"]["delivery_due"], json.dumps(view["obligations"])))

    say("every notification and obligation arrives by webhook, signed")
    recorded = effects_in_history(buyer, order)
    if not recorded["notification"] or not recorded["obligation"]:
        raise Failed("the order recorded no notification or no obligation: %s" % recorded)
    check_deliveries(receiver, "/buyer-erp", order, recorded, ["notification", "obligation"])
    check_deliveries(receiver, "/carrier-tms", order, recorded, ["notification"])
    if receiver.bad_signatures:
        raise Failed("%d deliveries had a bad signature" % receiver.bad_signatures)

    say("the bundle, verified with pactum-verify against the seller's checkpoint")
    bundle = os.path.join(work, "order.bundle")
    trust = os.path.join(work, "trust.json")
    with open(bundle, "wb") as f:
        f.write(seller.call("GET", "/orders/%s/bundle" % order))
    with open(trust, "w") as f:
        json.dump(seller.call("GET", "/checkpoint")["trust"], f)
    verified = subprocess.run([VERIFY_BIN, "--trust", trust, bundle], capture_output=True, text=True)
    print("   " + verified.stdout.splitlines()[0] if verified.stdout else "")
    if verified.returncode != 0:
        raise Failed("pactum-verify exited %d: %s%s" % (verified.returncode, verified.stdout, verified.stderr))


def node_has(node, order, seq):
    try:
        return node.call("GET", "/orders/" + order)["seq"] >= seq
    except Failed:
        return False


def check_deliveries(receiver, path, order, recorded, kinds):
    """The webhook at `path` received exactly the recorded events of `kinds`, once each."""
    def expected():
        return sorted(json.dumps([seq, data], sort_keys=True)
                      for kind in kinds for (seq, data) in recorded[kind])

    def got():
        return sorted(json.dumps([body["seq"], body["data"]], sort_keys=True)
                      for body in receiver.received(path)
                      if body["order"] == order and body["kind"] in kinds)

    wait_for("%s's deliveries" % path, lambda: got() == expected())
    for line in got():
        seq, data = json.loads(line)
        what = data.get("message") or "%s %s → %s %s %s" % (
            data.get("kind"), data["from"]["name"], data["to"]["name"],
            data["amount"]["amount"], data["amount"]["currency"])
        print("   %s got entry #%s: %s (signature valid)" % (path, seq, what))


def main():
    for binary in (NODE_BIN, VERIFY_BIN):
        if not os.access(binary, os.X_OK):
            print("no %s: build with `cargo build -p pactum-node -p verifier` or set PACTUM_BIN_DIR"
                  % binary, file=sys.stderr)
            return 2
    work = tempfile.mkdtemp(prefix="pactum-integrator.")
    try:
        run(work)
        say("done: every step held")
        return 0
    except Failed as failure:
        print("FAILED: %s" % failure, file=sys.stderr)
        for role in ROLES:
            log = os.path.join(work, role, "node.log")
            if os.path.exists(log):
                print("--- %s's node.log (tail)\n%s" % (role, "".join(open(log).readlines()[-10:])),
                      file=sys.stderr)
        return 1
    finally:
        # Exactly the processes this script started.
        for node in STARTED:
            node.stop()
        if os.environ.get("KEEP") == "1":
            print("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
