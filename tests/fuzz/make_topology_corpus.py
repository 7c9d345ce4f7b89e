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
    "kernel_node": TWO + b'[[node]]\nname = "k"\nkind = "kernel"\nforwarding = true\n'
                         b'[[node.interface]]\nbus = "lan"\naddresses = ["10.0.0.9/24"]\n',
    "services": b'[[node]]\nname = "s"\nservices = ["http:8080", "echo:7/udp"]\n'
                b'forward = ["tcp:18080=10.0.0.9:8080"]\nexpose = ["udp:10.0.0.9:53=127.0.0.1:53"]\n'
                b'[[node.interface]]\nbus = "lan"\naddresses = ["10.0.0.9/24"]\n' + TWO,
    "links": b'[[bus]]\nname = "wan"\n[[bus]]\nname = "far"\n' + TWO +
             b'[[link]]\na = "lan"\nb = "wan"\nboth = "delay 20ms 2ms loss 1%"\nseed = 7\n'
             b'[[link]]\na = "far"\nb = "wan"\nb_to_a = "rate 10mbit limit 50"\n',
    "captures": TWO + b'[[capture]]\nbus = "lan"\n[[capture]]\nbus = "lan"\nformat = "pcapng"\n'
                      b'filter = "icmp or arp"\nfile = "lan-icmp.pcapng"\n',
    # Refused.
    "link_loop": b'[[bus]]\nname = "wan"\n' + TWO +
                 b'[[link]]\na = "lan"\nb = "wan"\n[[link]]\na = "wan"\nb = "lan"\n',
    "link_netem": b'[[bus]]\nname = "wan"\n' + TWO +
                  b'[[link]]\na = "lan"\nb = "wan"\nboth = "loss 200%"\n',
    "capture_filter": TWO + b'[[capture]]\nbus = "lan"\nfilter = "tcp port"\n',
    "capture_path": TWO + b'[[capture]]\nbus = "lan"\nfile = "../../etc/x"\n',
    "kernel_workers": TWO.replace(b'workers = 2\n', b'kind = "kernel"\nworkers = 2\n'),
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
