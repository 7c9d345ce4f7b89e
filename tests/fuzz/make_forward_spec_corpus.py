#!/usr/bin/env python3
"""Writes the seed inputs of corpus/forward_spec: a port forward's text form
(daemon/shmifd/src/forward/forward_spec.hpp) as --forward and --expose take it, valid ones of
every shape and the mistakes the parser must refuse. The first byte picks the direction
(forward_spec_fuzz.cpp): b"F" (even) inbound, --forward; b"E" (odd) outbound, --expose."""
import os

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "forward_spec")

FORWARD = b"F"  # 0x46: low bit 0, inbound
EXPOSE = b"E"  # 0x45: low bit 1, outbound
assert FORWARD[0] & 1 == 0 and EXPOSE[0] & 1 == 1

SEEDS = {
    # --forward: host → virtual.
    "fwd_full": FORWARD + b"tcp:127.0.0.1:8080=10.0.0.2:80",
    "fwd_defaults": FORWARD + b"tcp:8080=10.0.0.2",
    "fwd_no_host": FORWARD + b"tcp:8080=10.0.0.2:80",
    "fwd_wildcard": FORWARD + b"tcp:0.0.0.0:8080=10.0.0.2:80",
    "fwd_range": FORWARD + b"tcp:9000-9010=10.0.0.2:9000-9010",
    "fwd_range_rebased": FORWARD + b"tcp:9000-9002=10.0.0.2:7000-7002",
    "fwd_range_default_target": FORWARD + b"tcp:9000-9010=10.0.0.2",
    "fwd_whole_range": FORWARD + b"tcp:0.0.0.0:1-65535=10.0.0.2",
    "fwd_top_port": FORWARD + b"tcp:65535=10.0.0.2:1",
    "fwd_udp": FORWARD + b"udp:5353=10.0.0.2:53",
    # --expose: virtual → host.
    "exp_full": EXPOSE + b"tcp:10.0.0.1:5432=127.0.0.1:5432",
    "exp_port_only": EXPOSE + b"tcp:10.0.0.1:80=8080",
    "exp_address_only": EXPOSE + b"tcp:10.0.0.1:5432=192.168.1.5",
    "exp_wildcard": EXPOSE + b"tcp:0.0.0.0:80=8080",
    "exp_range": EXPOSE + b"tcp:10.0.0.1:9000-9002=127.0.0.1:7000-7002",
    "exp_udp": EXPOSE + b"udp:10.0.0.1:53=8.8.8.8",
    # Refused.
    "no_protocol": FORWARD + b"8080=10.0.0.2",
    "sctp": FORWARD + b"sctp:8080=10.0.0.2:80",
    "no_equals": EXPOSE + b"tcp:10.0.0.1:80",
    "two_equals": FORWARD + b"tcp:8080=10.0.0.2=80",
    "bad_address": FORWARD + b"tcp:127.0.0.256:8080=10.0.0.2",
    "short_address": FORWARD + b"tcp:8080=10.0.2:80",
    "port_0": FORWARD + b"tcp:0=10.0.0.2",
    "port_65536": EXPOSE + b"tcp:10.0.0.1:80=65536",
    "port_overflow": FORWARD + b"tcp:4294967377=10.0.0.2",
    "range_backwards": FORWARD + b"tcp:9010-9000=10.0.0.2",
    "range_open": FORWARD + b"tcp:9000-=10.0.0.2",
    "range_three": FORWARD + b"tcp:1-2-3=10.0.0.2",
    "range_mismatch": FORWARD + b"tcp:9000-9010=10.0.0.2:7000-7005",
    "range_onto_one": EXPOSE + b"tcp:10.0.0.1:80-81=9000",
    "empty_listen": FORWARD + b"tcp:=10.0.0.2:80",
    "empty_target": EXPOSE + b"tcp:10.0.0.1:80=",
    "no_port_after_colon": FORWARD + b"tcp:127.0.0.1:=10.0.0.2",
    "no_address_before_colon": FORWARD + b"tcp::8080=10.0.0.2",
    "no_virtual_target": FORWARD + b"tcp:8080=80",
    "no_virtual_listen": EXPOSE + b"tcp:5432=127.0.0.1:5432",
    "listen_without_port": FORWARD + b"tcp:127.0.0.1=10.0.0.2:80",
    "virtual_target_any": FORWARD + b"tcp:8080=0.0.0.0:80",
    "virtual_target_broadcast": FORWARD + b"udp:8080=255.255.255.255",
    "host_target_any": EXPOSE + b"tcp:10.0.0.1:80=0.0.0.0:8080",
    "nul_inside": FORWARD + b"tcp:80\x00=10.0.0.2",
    "direction_only": EXPOSE,
}

os.makedirs(HERE, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
print(f"wrote {len(SEEDS)} seeds to {HERE}")
