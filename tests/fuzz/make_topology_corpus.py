#!/usr/bin/env python3
"""Writes the seed inputs of corpus/topology: shmiflab topology files
(tools/shmiflab/topology.hpp), the examples of examples/labs and small ones of every shape,
with the mistakes the parser must refuse (topology_fuzz.cpp)."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "topology")
EXAMPLES = os.path.join(HERE, "..", "..", "examples", "labs")

TWO = b"""[[bus]]
name = "lan"
[[node]]
name = "a"
[[node.interface]]
bus = "lan"
addresses = ["10.0.0.1/24"]
[[node]]
name = "b"
workers = 2
forwarding = true
[[node.interface]]
bus = "lan"
addresses = ["10.0.0.2/24", "192.168.0.1/30"]
mtu = 1400
"""

SEEDS = {
    "two": TWO,
    "named": b'[lab]\nname = "x"\n' + TWO,
    "sized_bus": b'[[bus]]\nname = "big"\nsize = "8M"\nformat = "netbsd"\n' + TWO,
    "routes": TWO + b'[[node.route]]\ndst = "default"\nvia = "10.0.0.1"\n'
                    b'[[node.route]]\ndst = "172.16.0.0/12"\nvia = "10.0.0.1"\n',
    # Refused.
    "syntax": b"[[bus]\nname = 1\n",
    "unknown_key": TWO + b"colour = 1\n",
    "no_nodes": b'[[bus]]\nname = "lan"\n',
    "unknown_bus": TWO.replace(b'bus = "lan"\naddresses = ["10.0.0.2', b'bus = "wan"\naddresses = ["10.0.0.2'),
    "duplicate_address": TWO.replace(b"10.0.0.2/24", b"10.0.0.1/24"),
    "network_address": TWO.replace(b"10.0.0.2/24", b"10.0.0.0/24"),
    "bad_cidr": TWO.replace(b"10.0.0.2/24", b"10.0.0.2/33"),
    "gateway_off_subnet": TWO + b'[[node.route]]\ndst = "default"\nvia = "10.9.9.9"\n',
    "gateway_self": TWO + b'[[node.route]]\ndst = "default"\nvia = "10.0.0.2"\n',
    "duplicate_node": TWO + b'[[node]]\nname = "a"\n[[node.interface]]\nbus = "lan"\n',
    "bad_name": TWO.replace(b'name = "a"', b'name = "../a"'),
    "bus_not_table": b"bus = [1, 2]\n",
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    for example in sorted(os.listdir(EXAMPLES)):
        if example.endswith(".toml"):
            with open(os.path.join(EXAMPLES, example), "rb") as src:
                data = src.read()
            with open(os.path.join(OUT, "example_" + example[:-5]), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
