#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Packs a partition directory written by the broker into one input of
tests/fuzz/fuzz_bc_repair.c (its header gives the layout), so real
partitions seed the fuzzer.

usage: seed_bc_repair.py PARTITION_DIR OUT [--unclean] [--rp N]
  --unclean  leave out the clean-shutdown marker even if present
  --rp N     write a recovery-point checkpoint of N
"""
import os
import struct
import sys


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    src, out = argv[1], argv[2]
    unclean = "--unclean" in argv
    rp = None
    if "--rp" in argv:
        rp = int(argv[argv.index("--rp") + 1])
    flags = 0
    if not unclean and os.path.exists(os.path.join(src, ".kafka_cleanshutdown")):
        flags |= 1
    if rp is not None:
        flags |= 2
    body = struct.pack(">Bq", flags, rp or 0)
    kinds = {".log": 0, ".index": 1, ".timeindex": 2}
    for name in sorted(os.listdir(src)):
        base, dot, sfx = name.partition(".")
        if len(base) != 20 or not base.isdigit() or "." + sfx not in kinds:
            continue
        with open(os.path.join(src, name), "rb") as f:
            data = f.read()
        body += struct.pack(">BII", kinds["." + sfx], int(base), len(data))
        body += data
    with open(out, "wb") as f:
        f.write(body)


if __name__ == "__main__":
    main(sys.argv)
