#!/usr/bin/python3
"""Writes the seed inputs of tests/fuzz/corpus/netstack_rx (see netstack_rx_fuzz.cpp for the
input layout: records of [control][length, 2 bytes big-endian][Ethernet frame]). Frames are
made with scapy and addressed to the fuzz rig: eth0 02:00:00:00:00:01 with 10.0.0.1/24,
10.0.0.3/24 and 2001:db8::1/64, eth1 02:00:00:00:00:11 with 10.0.1.1/24 and 2001:db8:1::1/64
(and link-local addresses), a dual-stack UDP socket on port 5000.
Usage: make_netstack_rx_corpus.py [OUTDIR]"""
import os
import struct
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, Raw, fragment
from scapy.layers.inet6 import (ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA,
                                ICMPv6NDOptDstLLAddr, ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr,
                                IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                IPv6ExtHdrRouting, fragment6)

US0, US1 = "02:00:00:00:00:01", "02:00:00:00:00:11"
PEER, FAR = "02:00:00:00:00:02", "02:00:00:00:00:12"
BCAST = "ff:ff:ff:ff:ff:ff"

# control bits: interface (bit 0), time step index (bits 1-3), poll (bit 4), action (5-7)
def ctl(iface=0, step=0, poll=True, action=0):
    return iface | (step << 1) | (0x10 if poll else 0) | (action << 5)


def rec(frame, **kw):
    data = bytes(frame)
    return bytes([ctl(**kw)]) + struct.pack(">H", len(data)) + data


def eth0(pkt):
    return Ether(dst=US0, src=PEER) / pkt


def ip0(**kw):
    return IP(src="10.0.0.2", dst="10.0.0.1", **kw)


ARP_REQ = Ether(dst=BCAST, src=PEER) / ARP(op=1, hwsrc=PEER, psrc="10.0.0.2", pdst="10.0.0.1")
ARP_REQ_FAR = Ether(dst=BCAST, src=FAR) / ARP(op=1, hwsrc=FAR, psrc="10.0.1.2", pdst="10.0.1.1")
ARP_GW = Ether(dst=US1, src="02:00:00:00:00:fe") / ARP(
    op=2, hwsrc="02:00:00:00:00:fe", psrc="10.0.1.254", hwdst=US1, pdst="10.0.1.1")


US0_6, PEER_6 = "2001:db8::1", "2001:db8::2"
US0_LL = "fe80::ff:fe00:1"
SNM_US0 = "ff02::1:ff00:1"


def ip6(**kw):
    return Ether(dst=US0, src=PEER) / IPv6(src=PEER_6, dst=US0_6, **kw)


def udp6_frags(size, ident):
    pkt = IPv6(src=PEER_6, dst=US0_6) / IPv6ExtHdrFragment(id=ident) / UDP(sport=40000, dport=5000) / \
        Raw(bytes(i & 0xFF for i in range(size)))
    return [Ether(dst=US0, src=PEER) / f for f in fragment6(pkt, 1280)]


def udp_frags(size, frag_size, ident):
    pkt = ip0(id=ident) / UDP(sport=40000, dport=5000) / Raw(bytes(i & 0xFF for i in range(size)))
    return [eth0(f) for f in fragment(pkt, fragsize=frag_size)]


SEEDS = {
    "arp_request": [rec(ARP_REQ)],
    "arp_reply": [rec(Ether(dst=US0, src=PEER) / ARP(op=2, hwsrc=PEER, psrc="10.0.0.2", hwdst=US0, pdst="10.0.0.1"))],
    "echo_request": [rec(ARP_REQ), rec(eth0(ip0() / ICMP(type=8, id=7, seq=1) / Raw(b"x" * 32)))],
    "udp_to_socket": [rec(eth0(ip0() / UDP(sport=40000, dport=5000) / Raw(b"hello")), action=0),
                      rec(eth0(ip0() / UDP(sport=40000, dport=5000) / Raw(b"again")), action=1)],
    "udp_closed_port": [rec(ARP_REQ), rec(eth0(ip0() / UDP(sport=40000, dport=9) / Raw(b"x")))],
    "udp_broadcast": [rec(Ether(dst=BCAST, src=PEER) / IP(src="10.0.0.2", dst="255.255.255.255") /
                          UDP(sport=68, dport=5000) / Raw(b"all"))],
    "fragments_in_order": [rec(f) for f in udp_frags(3000, 1480, 0x100)],
    "fragments_reversed": [rec(f) for f in reversed(udp_frags(3000, 1480, 0x101))],
    "fragments_timeout": [rec(udp_frags(3000, 1480, 0x102)[0]), rec(ARP_REQ, step=6)],
    "fragments_overlap": [rec(eth0(ip0(id=0x103, flags="MF", frag=0, proto=17) / Raw(bytes(24)))),
                          rec(eth0(ip0(id=0x103, frag=2, proto=17) / Raw(b"\xff" * 32)))],
    "vlan_echo": [rec(Ether(dst=US0, src=PEER) / Dot1Q(vlan=42) / ip0() / ICMP(type=8, id=1, seq=1))],
    "forward_ttl": [rec(ARP_REQ), rec(ARP_REQ_FAR, iface=1),
                    rec(eth0(IP(src="10.0.0.2", dst="10.0.1.2", ttl=5) / UDP(dport=53) / Raw(b"q" * 800))),
                    rec(eth0(IP(src="10.0.0.2", dst="10.0.1.2", ttl=1) / UDP(dport=53)))],
    "forward_df_gateway": [rec(ARP_GW, iface=1),
                           rec(eth0(IP(src="10.0.0.2", dst="198.51.100.7", flags="DF") / UDP() / Raw(bytes(1000))))],
    "send_and_resolve": [rec(Raw(b"payload"), action=2), rec(Raw(bytes(1200)), action=3),
                         rec(Raw(b"ab"), action=4, step=4), rec(ARP_REQ), rec(ARP_GW, iface=1, step=5)],
    "icmp_error_quote": [rec(eth0(ip0() / ICMP(type=3, code=3) / IP(src="10.0.0.1", dst="10.0.0.2") /
                                  UDP(sport=5000, dport=9)))],
    "ip_options_bad": [rec(eth0(IP(src="10.0.0.2", dst="10.0.0.1", options=b"\x01\x01\x01\x00") / ICMP())),
                       rec(eth0(ip0(ihl=15) / Raw(b"short"))), rec(eth0(ip0(len=9000) / UDP()))],
    "ipv6_ns_echo_udp": [
        rec(Ether(dst="33:33:ff:00:00:01", src=PEER) / IPv6(src=PEER_6, dst=SNM_US0, hlim=255) /
            ICMPv6ND_NS(tgt=US0_6) / ICMPv6NDOptSrcLLAddr(lladdr=PEER), step=4),
        rec(ip6() / ICMPv6EchoRequest(id=7, seq=1, data=b"x" * 32)),
        rec(ip6() / UDP(sport=40000, dport=5000) / Raw(b"six"), action=1),
        rec(ip6() / UDP(sport=40000, dport=9) / Raw(b"closed"))],
    "ipv6_dad_and_na": [
        rec(Ether(dst="33:33:ff:00:00:01", src=PEER) / IPv6(src="::", dst=SNM_US0, hlim=255) /
            ICMPv6ND_NS(tgt=US0_LL), step=0),
        rec(Ether(dst="33:33:00:00:00:01", src=PEER) / IPv6(src=PEER_6, dst="ff02::1", hlim=255) /
            ICMPv6ND_NA(tgt=US0_6, R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=PEER), step=4),
        rec(Raw(b"resolve"), action=5, step=1),
        rec(Ether(dst=US0, src=PEER) / IPv6(src=PEER_6, dst=US0_6, hlim=255) /
            ICMPv6ND_NA(tgt=PEER_6, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=PEER))],
    "ipv6_router_advertisement": [
        rec(Ether(dst="33:33:00:00:00:01", src=PEER) / IPv6(src="fe80::fe", dst="ff02::1", hlim=255) /
            ICMPv6ND_RA() / ICMPv6NDOptSrcLLAddr(lladdr=PEER) / ICMPv6NDOptPrefixInfo(prefix="2001:db8:5::"))],
    "ipv6_fragments": [rec(f) for f in udp6_frags(3000, 0x77)] +
                      [rec(f) for f in reversed(udp6_frags(2000, 0x78))],
    "ipv6_extension_headers": [
        rec(ip6() / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / UDP(sport=1, dport=5000) / Raw(b"e")),
        rec(ip6() / IPv6ExtHdrRouting(type=0, segleft=1, addresses=["2001:db8::9"]) / UDP()),
        rec(ip6() / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / UDP()),
        rec(ip6(nh=253) / Raw(b"unknown"))],
    # TCP segments to our addresses from many ports: half of them another shard's (the
    # steering check), some cut short, one fragmented.
    "tcp_to_us_both_families": [rec(eth0(ip0() / TCP(sport=40000 + i, dport=80, flags="S")), poll=False)
                                for i in range(8)] +
                               [rec(ip6() / TCP(sport=41000 + i, dport=443, flags="A"), poll=False)
                                for i in range(8)] +
                               [rec(bytes(eth0(ip0() / TCP(sport=40100, dport=80)))[:36]),
                                rec(eth0(ip0(flags="MF") / TCP(sport=40200, dport=80)))],
    "garbage": [rec(bytes(range(256))[:90]), rec(b"\x00" * 5), rec(b"", step=7, action=5),
                rec(bytes([0xFF] * 14) + b"\x08\x06" + bytes(10), action=6)],
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "netstack_rx")
    os.makedirs(out, exist_ok=True)
    for name, records in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"".join(records))
    print(f"wrote {len(SEEDS)} seeds to {out}")


if __name__ == "__main__":
    main()
