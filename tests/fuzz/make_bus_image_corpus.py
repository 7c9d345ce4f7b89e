#!/usr/bin/env python3
"""Writes the seed inputs of tests/fuzz/corpus/bus_image (see bus_image_fuzz.cpp for the input
layout): well-formed native and NetBSD images at every wrap edge, and a few broken ones.
Usage: make_bus_image_corpus.py [OUTDIR]"""
import os
import struct
import sys

NATIVE_RING = 64 * 1024
GATE = 16  # every batch opens with a 16-byte gate (shmif/src/layout_native.hpp)
RESERVE_AHEAD = 8192  # how far a writer reserves past its need on a 64 KiB ring
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


def native_gate(pos, seq):
    """The gate at position pos: a 16-byte pad whose len half holds pos >> 3, then the sequence
    number of the batch's first frame."""
    return struct.pack("<IIQ", GATE | PAD, (pos >> 3) & 0xFFFFFFFF, seq)


def native_sends(records, pos=0):
    """One send per record (a gate, then the record), from position pos, and the next batch's
    gate after them; records are (len, seq, tag). Returns the bytes and the commit position."""
    out = b""
    for length, seq, tag in records:
        out += native_gate(pos, seq) + native_record(length, seq, tag=tag)
        pos += GATE + (32 + length + 7) // 8 * 8
    return out + native_gate(pos, records[-1][1] + 1), pos


def native(committed, reserved, first, next_seq, at, ring, **kw):
    """Bytes 25..32 are the next sequence number (the harness writes it into the gate at
    committed), bytes 33..40 are unused."""
    head = flags(0, **kw) + struct.pack("<QQQQQ", committed, reserved, first, next_seq, 0)
    assert at % 8 == 0
    return head + struct.pack("<H", at // 8) + ring


def netbsd(gen, first, last, at, ring, **kw):
    return flags(1, **kw) + struct.pack("<QIII", gen, first, last, at) + ring


def nb_frame(length, sender=0x2222, tag=0, sec=1000, usec=5):
    return struct.pack("<IIIIQ", length, sec, usec, 0, sender) + payload(length, tag)


def seeds():
    out = {}
    # ---- native ----
    out["native-empty"] = native(0, GATE, 0, 0, 0, native_gate(0, 0))  # a fresh bus
    recs, c5 = native_sends([(60 + 10 * i, i, i) for i in range(5)])
    out["native-five"] = native(c5, c5 + GATE + RESERVE_AHEAD, 0, 5, 0, recs, writes=2)
    out["native-five-small-bufs"] = native(c5, c5 + GATE + RESERVE_AHEAD, 0, 5, 0, recs,
                                           small=True)
    # Wrapped: a gate, two frames and an 8-byte pad at the end of the ring (the third frame
    # does not fit in 8 bytes), the third frame at 0, the next gate after it: one batch.
    at = NATIVE_RING - 400
    first = NATIVE_RING + at
    a, b = native_record(168, 100, tag=1), native_record(144, 101, tag=2)
    tail = native_gate(first, 100) + a + b + native_pad(8)
    assert len(tail) == 400
    c = native_record(200, 102, tag=3)
    committed = 2 * NATIVE_RING + len(c)
    out["native-wrapped-pad8"] = native(committed, committed + GATE + RESERVE_AHEAD, first, 103,
                                        at, tail + c + native_gate(committed, 103), writes=1)
    # A record ending exactly at the end of the ring: the next gate at 0, no pad.
    at = NATIVE_RING - 1024
    d = native_gate(NATIVE_RING + at, 7) + native_record(976, 7, tag=4)
    assert len(d) == 1024
    out["native-exact-end"] = native(2 * NATIVE_RING, 2 * NATIVE_RING + GATE + RESERVE_AHEAD,
                                     NATIVE_RING + at, 8, at,
                                     d + native_gate(2 * NATIVE_RING, 8), writes=3)
    # A batch ending 8 bytes before the end of the ring: too few for a gate, so an 8-byte pad
    # and the next gate at 0.
    at = NATIVE_RING - 400
    e = native_gate(NATIVE_RING + at, 200) + native_record(344, 200, tag=6) + native_pad(8)
    assert len(e) == 400
    out["native-gate-pad8"] = native(2 * NATIVE_RING, 2 * NATIVE_RING + GATE + RESERVE_AHEAD,
                                     NATIVE_RING + at, 201, at,
                                     e + native_gate(2 * NATIVE_RING, 201), writes=2)
    # The largest frame a 64 KiB ring allows.
    big, cb = native_sends([(NATIVE_RING // 4 - 32, 0, 5)])
    out["native-max-frame"] = native(cb, cb + GATE + RESERVE_AHEAD, 0, 1, 0, big)
    # Broken: a zero span, a len that does not match its span, positions out of order.
    out["native-zero-span"] = native(c5, c5 + GATE + RESERVE_AHEAD, 0, 5, 0,
                                     recs[:GATE] + bytes(8) + recs[GATE + 8:])
    bad = bytearray(recs)
    struct.pack_into("<I", bad, GATE + 4, 5000)
    out["native-bad-len"] = native(c5, c5 + GATE + RESERVE_AHEAD, 0, 5, 0, bytes(bad))
    out["native-first-past-commit"] = native(64, 64, 4096, 5, 0, recs, writes=1)
    out["native-misaligned-first"] = native(c5, c5 + GATE + RESERVE_AHEAD, 4, 5, 0, recs)
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
    out["native-garbled-header"] = native(0, GATE, 0, 0, 0, noise, garble=True)
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
