#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes samples/deploy-*.jsonl: one consumer group through each kind of
deployment (stop-the-world, blue-green, rolling, canary), as heads,
commits and members lines (samples/README.md), with expect lines for the
status and the deployment each rebalance is classified as.

Deterministic: the same files every run. Usage:
  gen_deploy_traces.py [OUTDIR]   (default: samples/)
"""
import json
import os
import sys

T0 = 1700000000000
STEP = 10000  # ms between heads and commits
TOPIC = "orders"
PARTS = 6
RATE = 100  # records per partition per step


class Trace:
    def __init__(self, group):
        self.group = group
        self.lines = [{"type": "config", "intervals": 10}]
        self.t = T0
        self.head = [1000 * (p + 1) for p in range(PARTS)]
        self.members = []  # [(member_id, client_id)]
        self.generation = 0
        self.serial = 0
        self.committing = True

    def member(self, client):
        self.serial += 1
        return ("%s-%d-%08x" % (client, self.serial, (self.serial * 2654435761) & 0xFFFFFFFF),
                client)

    def assign(self):
        """Range assignment: members sorted by id, partitions in order."""
        ms = sorted(self.members)
        out = {m[0]: [] for m in ms}
        n = len(ms)
        for i, m in enumerate(ms):
            lo = i * PARTS // n
            hi = (i + 1) * PARTS // n
            out[m[0]] = list(range(lo, hi))
        return out

    def emit_members(self):
        self.generation += 1
        asg = self.assign() if self.members else {}
        self.lines.append({
            "type": "members", "t": self.t, "group": self.group,
            "state": "Stable" if self.members else "Empty",
            "protocol": "range", "generation": self.generation,
            "members": [{"member_id": m, "client_id": c,
                         "host": "/10.0.0.%d" % (1 + int(m.split("-")[-2]) % 250),
                         "assigned": {TOPIC: asg[m]} if asg.get(m) else {}}
                        for m, c in sorted(self.members)]})

    def step(self, n=1):
        for _ in range(n):
            self.t += STEP
            for p in range(PARTS):
                self.head[p] += RATE
                self.lines.append({"type": "head", "t": self.t, "topic": TOPIC,
                                   "partition": p, "offset": self.head[p],
                                   "partitions": PARTS})
            if self.committing and self.members:
                asg = self.assign()
                owner = {p: m for m, ps in asg.items() for p in ps}
                client = dict(self.members)
                for p in range(PARTS):
                    m = owner.get(p)
                    self.lines.append({"type": "commit", "t": self.t,
                                       "group": self.group, "topic": TOPIC,
                                       "partition": p, "offset": self.head[p],
                                       "owner": "/10.0.0.%d" % (1 + int(m.split("-")[-2]) % 250) if m else "",
                                       "client_id": client.get(m, "")})

    def expect(self, status, deployment):
        self.lines.append({"type": "expect", "t": self.t, "group": self.group,
                           "status": status, "deployment": deployment})

    def start(self, client, n):
        self.members = [self.member(client) for _ in range(n)]
        self.step(1)
        self.emit_members()  # the first membership: no rebalance
        self.step(6)

    def write(self, path):
        with open(path, "w") as f:
            for line in self.lines:
                f.write(json.dumps(line, separators=(",", ":")) + "\n")


def rolling():
    tr = Trace("ledger")
    tr.start("ledger-app", 3)
    tr.expect("OK", "none")
    for k in range(3):  # each member restarted in turn
        old = tr.members[0]
        tr.members = tr.members[1:]
        tr.emit_members()  # it left
        tr.step(1)
        tr.members.append(tr.member("ledger-app"))
        tr.emit_members()  # its replacement joined
        tr.step(2)
        tr.expect("OK", "none" if k == 0 else "rolling")
        del old
    tr.step(6)
    tr.expect("OK", "rolling")
    return tr


def blue_green():
    tr = Trace("billing")
    tr.start("billing-blue", 3)
    blue = list(tr.members)
    tr.members = blue + [tr.member("billing-green") for _ in range(3)]
    tr.emit_members()  # green joins beside blue
    tr.step(3)
    tr.expect("OK", "none")
    tr.members = [m for m in tr.members if m not in blue]
    tr.emit_members()  # blue stopped at once
    tr.step(2)
    tr.expect("OK", "blue-green")
    tr.step(6)
    tr.expect("OK", "blue-green")
    return tr


def canary():
    tr = Trace("search-indexer")
    tr.start("indexer-v1", 3)
    tr.members.append(tr.member("indexer-v2"))
    tr.emit_members()  # one member of the new version
    tr.step(3)
    tr.expect("OK", "canary")
    tr.step(6)
    tr.expect("OK", "canary")
    return tr


def stop_the_world():
    tr = Trace("reports")
    tr.start("reports-app", 3)
    tr.members = []
    tr.committing = False
    tr.emit_members()  # every member stopped: the group is empty
    tr.step(3)
    tr.expect("OK", "none")
    tr.members = [tr.member("reports-app") for _ in range(3)]
    tr.committing = True
    tr.emit_members()  # the new version started
    tr.step(2)
    tr.expect("OK", "stop-the-world")
    tr.step(6)
    tr.expect("OK", "stop-the-world")
    return tr


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "samples"
    for name, fn in (("rolling", rolling), ("blue-green", blue_green),
                     ("canary", canary), ("stop-the-world", stop_the_world)):
        fn().write(os.path.join(out, "deploy-%s.jsonl" % name))


if __name__ == "__main__":
    main()
