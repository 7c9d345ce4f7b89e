#!/usr/bin/env python3
"""Writes the seed inputs of tests/fuzz/corpus/bus_image (see bus_image_fuzz.cpp for the input
layout): well-formed native and NetBSD images at every wrap edge, and a few broken ones.
Usage: make_bus_image_corpus.py [OUTDIR]"""
import os
import struct
import sys

NATIVE_RING = 64 * 1024
NB_DATA = 1024 * 1024 - 32
PAD = 0x80000000


def flags(fmt, small=False, writes=0, garble=False):
    return bytes([fmt | (2 if small else 0) | (writes << 2) | (32 if garble else 0)])


def payload(n, tag):
    return bytes((tag * 7 + i * 13) & 0xFF for i in range(n))


def native_record(length, seq, sender=0x1111, tag=0):
    span = (32 + length + 7) & ~7
    body = struct.pack("<IIQQQ", span, length, seq, sender, 1_700_000_000_000_000_000)
    return body + payload(length, tag) + bytes(span - 32 - length)


def native_pad(span):
    return struct.pack("<I", span | PAD) + bytes(span - 4)


def native(committed, reserved, first, next_seq, ver, at, ring, **kw):
    head = flags(0, **kw) + struct.pack("<QQQQQ", committed, reserved, first, next_seq, ver)
    assert at % 8 == 0
    return head + struct.pack("<H", at // 8) + ring


def netbsd(gen, first, last, at, ring, **kw):
    return flags(1, **kw) + struct.pack("<QIII", gen, first, last, at) + ring


def nb_frame(length, sender=0x2222, tag=0, sec=1000, usec=5):
    return struct.pack("<IIIIQ", length, sec, usec, 0, sender) + payload(length, tag)


def seeds():
    out = {}
    # ---- native ----
    out["native-empty"] = native(0, 0, 0, 0, 0, 0, b"")
    recs = b"".join(native_record(60 + 10 * i, i, tag=i) for i in range(5))
    out["native-five"] = native(len(recs), len(recs) + 8192, 0, 5, 10, 0, recs, writes=2)
    out["native-five-small-bufs"] = native(len(recs), len(recs) + 8192, 0, 5, 10, 0, recs,
                                           small=True)
    # Wrapped: two frames and an 8-byte pad at the end of the ring, one frame at 0.
    at = NATIVE_RING - 400
    a, b = native_record(168, 100, tag=1), native_record(160, 101, tag=2)
    tail = a + b + native_pad(NATIVE_RING - at - len(a) - len(b))
    assert len(tail) == 400
    c = native_record(200, 102, tag=3)
    first = NATIVE_RING + at
    committed = 2 * NATIVE_RING + len(c)
    out["native-wrapped-pad8"] = native(committed, committed + 8192, first, 103, 44, at, tail + c,
                                        writes=1)
    # A record ending exactly at the end of the ring.
    at = NATIVE_RING - 1024
    d = native_record(992, 7, tag=4)
    out["native-exact-end"] = native(2 * NATIVE_RING, 2 * NATIVE_RING + 8192, NATIVE_RING + at,
                                     8, 2, at, d, writes=3)
    # The largest frame a 64 KiB ring allows.
    big = native_record(NATIVE_RING // 4 - 32, 0, tag=5)
    out["native-max-frame"] = native(len(big), len(big) + 8192, 0, 1, 2, 0, big)
    # Broken: a zero span, a len that does not match its span, positions out of order.
    out["native-zero-span"] = native(len(recs), len(recs), 0, 5, 2, 0, bytes(8) + recs[8:])
    bad = bytearray(recs)
    struct.pack_into("<I", bad, 4, 5000)
    out["native-bad-len"] = native(len(recs), len(recs), 0, 5, 2, 0, bytes(bad))
    out["native-first-past-commit"] = native(64, 64, 4096, 5, 2, 0, recs, writes=1)
    out["native-misaligned-first"] = native(len(recs), len(recs), 4, 5, 2, 0, recs)
    # ---- NetBSD ----
    out["netbsd-fresh"] = netbsd(0, NB_DATA, 0, 0, b"", writes=1)
    frames = bytes(24) + nb_frame(60, tag=1) + nb_frame(1514, tag=2) + nb_frame(42, tag=3)
    out["netbsd-three"] = netbsd(0, NB_DATA, 24 + 84 + 1538, 0, frames, writes=2)
    # Header split across the end: P at D-134, X at D-10 (10 + 14 header bytes), Y at 64.
    p = NB_DATA - 134
    ring = nb_frame(100, tag=1) + nb_frame(50, tag=2) + nb_frame(30, tag=3)
    out["netbsd-header-split"] = netbsd(1, p, 64, p, ring, writes=1)
    # Payload split: X's header ends 16 bytes before the end.
    p = NB_DATA - 40 - 224
    out["netbsd-payload-split"] = netbsd(1, p, 34, p, nb_frame(200, tag=1) + nb_frame(50, tag=2)
                                         + nb_frame(30, tag=3), small=True)
    # Exact fit: X ends at the end of the ring, the newest frame is at 0.
    x = NB_DATA - 74
    p = x - 324
    out["netbsd-exact-fit"] = netbsd(1, p, 0, p, nb_frame(300, tag=1) + nb_frame(50, tag=2)
                                     + nb_frame(30, tag=3), writes=1)
    # Broken: a huge len in the newest frame, a chain that does not reach the newest frame.
    out["netbsd-huge-newest"] = netbsd(0, NB_DATA, 24, 0, bytes(24) + struct.pack("<I", 0xFFFFFFF0)
                                       + bytes(20), writes=1)
    broken = bytearray(frames)
    struct.pack_into("<I", broken, 24 + 84, 500000)
    out["netbsd-broken-chain"] = netbsd(0, NB_DATA, 24 + 84 + 1538, 0, bytes(broken), writes=1)
    out["netbsd-out-of-range"] = netbsd(1 << 50, NB_DATA + 7, NB_DATA, 0, frames, writes=1)
    # Headers a stray write garbled (identity and lock XORed with the ring bytes).
    noise = bytes((i * 151 + 7) & 0xFF for i in range(256))
    out["native-garbled-header"] = native(0, 0, 0, 0, 0, 0, noise, garble=True)
    out["netbsd-garbled-header"] = netbsd(0, NB_DATA, 0, 0, noise, garble=True)
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "bus_image")
    os.makedirs(outdir, exist_ok=True)
    total = 0
    for name, data in sorted(seeds().items()):
        with open(os.path.join(outdir, "seed-" + name), "wb") as f:
            f.write(data)
        total += len(data)
    print(f"{len(seeds())} seeds, {total} bytes in {outdir}")


if __name__ == "__main__":
    main()
