#!/usr/bin/python3
"""Writes the seed inputs of tests/fuzz/corpus/tcp_rx (see tcp_rx_fuzz.cpp for the input
layout: records of [control][length, 2 bytes big-endian][TCP segment]). Segments are made
with scapy; "relative" records carry seq/ack as offsets from the rig's established
connection (peer 10.0.0.2:40000 -> 10.0.0.1:80), so they reach its states.
Usage: make_tcp_rx_corpus.py [OUTDIR]"""
import os
import struct
import sys

from scapy.all import IP, TCP, Raw

# control bits: time step (0-2), poll (3), relative seq/ack (4), keep checksum (5), action (6-7)
def ctl(step=0, poll=True, relative=True, keep_checksum=False, action=0):
    return step | (0x08 if poll else 0) | (0x10 if relative else 0) | \
        (0x20 if keep_checksum else 0) | (action << 6)


def seg(sport=40000, dport=80, seq=0, ack=0, flags="A", window=65535, options=None, data=b""):
    tcp = TCP(sport=sport, dport=dport, seq=seq, ack=ack, flags=flags, window=window,
              options=options or [])
    pkt = IP(src="10.0.0.2", dst="10.0.0.1") / tcp / Raw(data)
    return bytes(pkt[TCP])


def rec(segment, **kw):
    return bytes([ctl(**kw)]) + struct.pack(">H", len(segment)) + segment


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                             "corpus", "tcp_rx")
    os.makedirs(out, exist_ok=True)
    seeds = {
        # Data in order, then read (action 1) and answer (action 2).
        "data_in_order": rec(seg(data=b"hello", flags="PA")) +
        rec(seg(seq=5, data=b"world", flags="PA"), action=1) +
        rec(seg(seq=10), action=2, step=3),
        # Out of order, then the hole.
        "out_of_order": rec(seg(seq=100, data=b"x" * 50)) + rec(seg(seq=200, data=b"y" * 50)) +
        rec(seg(seq=0, data=b"z" * 100), action=1),
        # The peer closes; we close (action 3); the last ACK.
        "peer_fin": rec(seg(flags="FA")) + rec(seg(seq=1), action=3) + rec(seg(seq=1, ack=1)),
        # We write, the peer's window closes, time passes (probes), it opens.
        "zero_window": rec(seg(), action=2) + rec(seg(window=0), step=4) +
        rec(seg(window=0), step=5) + rec(seg(window=1000, ack=0)),
        # RST exact, in window, out of window; SYN in established.
        "resets": rec(seg(seq=10, flags="R")) + rec(seg(flags="S")) + rec(seg(flags="R")),
        # New connections to the listener, with options; an ACK for nothing; a SYN flood.
        "listener": b"".join(
            rec(seg(sport=50000 + i, seq=7, flags="S",
                    options=[("MSS", 536), ("WScale", 14), ("SAckOK", b""),
                             ("Timestamp", (5, 0))]), relative=False) for i in range(12)) +
        rec(seg(sport=50001, seq=8, ack=1, flags="A"), relative=False) +
        rec(seg(sport=50002, dport=81, seq=1, flags="S"), relative=False),
        # Duplicate ACKs after a write (fast retransmit), then a timeout.
        "dup_acks": rec(seg(data=b"a"), action=2) + rec(seg(seq=1), action=2) +
        rec(seg(seq=1)) + rec(seg(seq=1)) + rec(seg(seq=1)) + rec(seg(seq=1), step=4),
        # Malformed: short, bad offset, bad option length, bad checksum.
        "malformed": rec(b"\x9c\x40\x00") + rec(seg()[:12] + b"\x30" + seg()[13:]) +
        rec(seg()[:12] + b"\x60" + seg()[13:20] + b"\x02\x09\x00\x00") +
        rec(seg(data=b"bad"), keep_checksum=True),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
