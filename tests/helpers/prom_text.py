#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Reads a Prometheus text exposition (a scrape of /metrics) for the
integration scripts. Subcommands, each printing its answer on stdout:

  names FILE                     sample names, sorted, one a line
  count FILE NAME [L=V ...]      samples of NAME whose labels include L=V
  value FILE NAME [L=V ...]      the value of the first such sample, or
                                 "absent"
  labels FILE NAME LABEL         the values LABEL takes in NAME, sorted
  compare FILE REF [NAME ...]    checks every family of REF (lines "NAME
                                 TYPE L1,L2,..."): its TYPE line, and the
                                 label names, in order, of each sample;
                                 the NAMEs given must have samples. Prints
                                 one line per problem; exit 1 if any
  promql FILE...                 metric names (warren_, kafka_, kminion_,
                                 burrow_) a Grafana dashboard's "expr"
                                 fields or an alert rules file's "expr:"
                                 lines query, sorted
"""
import json
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
METRIC = re.compile(r'\b((?:warren|kafka|kminion|burrow)_[a-zA-Z0-9_:]*)')


def parse(path):
    """(samples, types): samples as (name, [(label, value)], value)."""
    samples, types = [], {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ", 3)
                types[name] = kind
                continue
            if not line or line.startswith("#"):
                continue
            m = SAMPLE.match(line)
            if not m:
                raise SystemExit("unparsable line: " + line)
            labels = LABEL.findall(m.group(3) or "")
            samples.append((m.group(1), labels, m.group(4)))
    return samples, types


def matching(samples, name, wants):
    want = dict(w.split("=", 1) for w in wants)
    for s in samples:
        if s[0] != name:
            continue
        have = dict(s[1])
        if all(have.get(k) == v for k, v in want.items()):
            yield s


def promql_names(paths):
    names = set()
    for p in paths:
        with open(p, encoding="utf-8") as f:
            text = f.read()
        if p.endswith(".json"):
            exprs = []

            def walk(o):
                if isinstance(o, dict):
                    for k, v in o.items():
                        if k in ("expr", "query", "definition") and isinstance(
                                v, str):
                            exprs.append(v)
                        else:
                            walk(v)
                elif isinstance(o, list):
                    for v in o:
                        walk(v)

            walk(json.loads(text))
        else:
            exprs = [l.split("expr:", 1)[1] for l in text.splitlines()
                     if "expr:" in l]
        for e in exprs:
            names.update(METRIC.findall(e))
    return sorted(names)


def main(argv):
    cmd = argv[1]
    if cmd == "promql":
        print("\n".join(promql_names(argv[2:])))
        return 0
    samples, types = parse(argv[2])
    if cmd == "names":
        print("\n".join(sorted({s[0] for s in samples})))
    elif cmd == "count":
        print(sum(1 for _ in matching(samples, argv[3], argv[4:])))
    elif cmd == "value":
        first = next(matching(samples, argv[3], argv[4:]), None)
        print(first[2] if first else "absent")
    elif cmd == "labels":
        vals = {dict(s[1]).get(argv[4], "") for s in samples
                if s[0] == argv[3]}
        print("\n".join(sorted(vals)))
    elif cmd == "compare":
        bad = 0
        need = set(argv[4:])
        with open(argv[3], encoding="utf-8") as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                name, kind, labels = line.split()
                want = labels.split(",")
                if types.get(name) != kind:
                    print("%s: TYPE %s, want %s" % (name, types.get(name),
                                                    kind))
                    bad += 1
                got = [s for s in samples if s[0] == name]
                for s in got:
                    have = [l for l, _ in s[1]]
                    if have != want:
                        print("%s: labels %s, want %s" % (name, have, want))
                        bad += 1
                        break
                if name in need and not got:
                    print("%s: no sample" % name)
                    bad += 1
        return 1 if bad else 0
    else:
        raise SystemExit("unknown command " + cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
