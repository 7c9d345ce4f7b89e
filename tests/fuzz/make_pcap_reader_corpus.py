#!/usr/bin/env python3
"""Writes the seed inputs of tests/fuzz/corpus/pcap_reader (see pcap_reader_fuzz.cpp): small
capture files, pcap (micro- and nanosecond, both byte orders) and pcapng, well-formed and
broken, for the fuzzer to mutate. Writing them is simple; reading them is libpcap's job.
Usage: make_pcap_reader_corpus.py [OUTDIR]"""
import os
import struct
import sys

EN10MB, RAW = 1, 101
MAGIC_US, MAGIC_NS = 0xA1B2C3D4, 0xA1B23C4D


def frame(n, tag):
    head = b"\xff" * 6 + bytes([2, 0, 0x5E, 0, 0, tag & 0xFF]) + b"\x88\xb5"
    return (head + bytes((tag * 7 + i * 13) & 0xFF for i in range(max(n - 14, 0))))[:n]


def pcap(frames, magic=MAGIC_US, endian="<", linktype=EN10MB, snaplen=65535):
    """frames: (data, wire_len or None, sec, subsec)"""
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for data, wire, sec, sub in frames:
        out += struct.pack(endian + "IIII", sec, sub, len(data), wire or len(data)) + data
    return out


def block(btype, body):
    body += bytes(-len(body) % 4)
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def option(code, value):
    return struct.pack("<HH", code, len(value)) + value + bytes(-len(value) % 4)


def pcapng(frames, linktypes=(EN10MB,), tsresol=None):
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    for lt in linktypes:
        opts = b""
        if tsresol is not None:
            opts = option(9, bytes([tsresol])) + option(0, b"")
        out += block(1, struct.pack("<HHI", lt, 0, 262144) + opts)
    for i, (data, wire, ts) in enumerate(frames):
        iface = i % len(linktypes)
        body = struct.pack("<IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(data), wire or len(data))
        out += block(6, body + data + bytes(-len(data) % 4))
    out += block(3, struct.pack("<I", 64) + frame(64, 99))  # a Simple Packet Block
    return out


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "pcap_reader")
    os.makedirs(out, exist_ok=True)
    three = [(frame(60 + 40 * i, i), None, 1_700_000_000 + i, 1000 * i) for i in range(3)]
    seeds = {
        "seed-pcap-us-le": pcap(three),
        "seed-pcap-us-be": pcap(three, endian=">"),
        "seed-pcap-ns-le": pcap(three, magic=MAGIC_NS),
        "seed-pcap-snaplen-truncated": pcap([(frame(40, 1), 1514, 1, 0), (frame(60, 2), None, 1, 5)],
                                            snaplen=40),
        "seed-pcap-oversize-and-empty": pcap([(frame(20000, 1), None, 1, 0), (b"", 60, 1, 1),
                                              (frame(60, 3), None, 1, 2)], snaplen=262144),
        # Frames shorter than an Ethernet header (the bus refuses them) between whole ones.
        "seed-pcap-runt-frames": pcap([(frame(60, 1), None, 1, 0), (frame(60, 2)[:13], 60, 1, 1),
                                       (frame(60, 3)[:1], 60, 1, 2), (frame(60, 4), None, 1, 3)]),
        "seed-pcap-cut-in-frame": pcap(three)[:-30],
        "seed-pcap-cut-in-header": pcap(three)[:24 + 16 + 60 + 7],
        "seed-pcap-raw-linktype": pcap(three, linktype=RAW),
        "seed-pcap-backwards-time": pcap([(frame(60, 1), None, 50, 0), (frame(60, 2), None, 10, 0)]),
        "seed-pcapng": pcapng([(frame(60, 1), None, 1 << 40), (frame(100, 2), 1514, (1 << 40) + 9)]),
        "seed-pcapng-ns": pcapng([(frame(60, 1), None, 1 << 60), (frame(61, 2), None, 2)],
                                 tsresol=9),
        "seed-pcapng-two-ifaces": pcapng([(frame(60, 1), None, 1), (frame(60, 2), None, 2)],
                                         linktypes=(EN10MB, EN10MB)),
        "seed-pcapng-mixed-linktypes": pcapng([(frame(60, 1), None, 1), (frame(60, 2), None, 2)],
                                              linktypes=(EN10MB, RAW)),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds)} seeds to {out}")


if __name__ == "__main__":
    main()
