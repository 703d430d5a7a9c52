#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a lag trace (TRACES.md) for benchmarks: GROUPS groups, each
consuming one topic of PARTS partitions, with COMMITS commits per partition
10 s apart, lag held steady. Usage: gen_trace.py GROUPS PARTS COMMITS OUT"""
import sys

groups, parts, commits, out = (int(sys.argv[1]), int(sys.argv[2]),
                               int(sys.argv[3]), sys.argv[4])
t0 = 1700000000000
with open(out, "w") as f:
    f.write('{"type":"config","intervals":10}\n')
    for c in range(commits):
        t = t0 + c * 10000
        for p in range(parts):
            f.write('{"type":"head","t":%d,"topic":"events","partition":%d,'
                    '"offset":%d,"partitions":%d}\n'
                    % (t, p, 1000 + c * 100 + 50, parts))
        for g in range(groups):
            for p in range(parts):
                f.write('{"type":"commit","t":%d,"group":"group-%04d",'
                        '"topic":"events","partition":%d,"offset":%d}\n'
                        % (t, g, p, 1000 + c * 100 + (g % 7)))
