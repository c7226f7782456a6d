#!/usr/bin/env python3
"""Rewrites fields of a darkrt plan and fixes its checksum (xxh64, chained per 16 MiB chunk, with the
checksum field skipped: src/engine/plan.c), so a test can hand darkrt a plan whose fields, not its
checksum, are hostile. Usage: plan-patch.py IN OUT (header|model):OFFSET:FORMAT=VALUE ...
  header:48:I=100000   the uint32 at byte 48 of the file
  model:4:I=8192       the uint32 at byte 4 of the model section (model_off is read from the header)"""
import struct
import sys

P1, P2, P3, P4, P5 = 11400714785074694791, 14029467366897019727, 1609587929392839161, 9650029242287828579, 2870177450012600261
M = (1 << 64) - 1
CHECKSUM_AT, MODEL_OFF_AT, CHUNK = 104, 64, 16 << 20


def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M


def round1(acc, v):
    return rotl((acc + v * P2) & M, 31) * P1 & M


def xxh64(d, seed):
    n, p = len(d), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M]
        while p + 32 <= n:
            for k in range(4):
                v[k] = round1(v[k], struct.unpack_from("<Q", d, p + 8 * k)[0])
            p += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for x in v:
            h = ((h ^ round1(0, x)) * P1 + P4) & M
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while p + 8 <= n:
        h = (rotl(h ^ round1(0, struct.unpack_from("<Q", d, p)[0]), 27) * P1 + P4) & M
        p += 8
    if p + 4 <= n:
        h = (rotl(h ^ (struct.unpack_from("<I", d, p)[0] * P1 & M), 23) * P2 + P3) & M
        p += 4
    while p < n:
        h = rotl(h ^ (d[p] * P5 & M), 11) * P1 & M
        p += 1
    h ^= h >> 33
    h = h * P2 & M
    h ^= h >> 29
    h = h * P3 & M
    return h ^ (h >> 32)


def checksum(d):
    h = xxh64(d[:CHECKSUM_AT], 0)
    for off in range(CHECKSUM_AT + 8, len(d), CHUNK):
        h = xxh64(d[off:off + CHUNK], h)
    return h


data = bytearray(open(sys.argv[1], "rb").read())
assert struct.unpack_from("<Q", data, CHECKSUM_AT)[0] == checksum(data), "not a plan this tool understands"
for patch in sys.argv[3:]:
    where, off, rest = patch.split(":")
    fmt, value = rest.split("=")
    base = struct.unpack_from("<Q", data, MODEL_OFF_AT)[0] if where == "model" else 0
    struct.pack_into("<" + fmt, data, base + int(off), float(value) if fmt in "fd" else int(value))
struct.pack_into("<Q", data, CHECKSUM_AT, checksum(data))
open(sys.argv[2], "wb").write(data)
