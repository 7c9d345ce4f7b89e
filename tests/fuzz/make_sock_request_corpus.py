#!/usr/bin/env python3
"""Writes the seed inputs of corpus/sock_request: sock.* request lines of daemon/PROTOCOL.md
("The socket service"), valid ones for each command and the malformed arguments the decoder
must refuse; and lane messages (struct shmifsock_lane_change, shmifsock/wire.h)."""
import json
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "sock_request")


def line(cmd, args, rid=1):
    return (json.dumps({"v": 1, "id": rid, "cmd": cmd, "args": args}, separators=(",", ":")) + "\n").encode()


SEEDS = {
    "open_tcp": line("sock.open", {"type": "tcp"}),
    "open_udp": line("sock.open", {"type": "udp"}, "x"),
    "open_bad_type": line("sock.open", {"type": "sctp"}),
    "open_inet6": line("sock.open", {"type": "tcp", "domain": "inet6"}),
    "open_bad_domain": line("sock.open", {"type": "udp", "domain": "inet7"}),
    "bind": line("sock.bind", {"sock": 3, "addr": "10.0.0.2", "port": 8080}),
    "bind_any_port0": line("sock.bind", {"sock": 1, "addr": "0.0.0.0", "port": 0}),
    "bind_bad_addr": line("sock.bind", {"sock": 1, "addr": "10.0.0.256", "port": 1}),
    "bind_port_too_big": line("sock.bind", {"sock": 1, "addr": "10.0.0.1", "port": 65536}),
    "bind_v6_any": line("sock.bind", {"sock": 1, "addr": "::", "port": 80}),
    "bind_v4_mapped": line("sock.bind", {"sock": 1, "addr": "::ffff:10.0.0.1", "port": 80}),
    "bind_v6_zone": line("sock.bind", {"sock": 1, "addr": "fe80::1%eth0", "port": 80}),
    "listen": line("sock.listen", {"sock": 18446744073709551615, "backlog": 4294967295}),
    "listen_negative": line("sock.listen", {"sock": 2, "backlog": -1}),
    "listen_handoff": line("sock.listen", {"sock": 2, "backlog": 16, "handoff": True}),
    "listen_handoff_number": line("sock.listen", {"sock": 2, "handoff": 1}),
    "connect_nowait": line("sock.connect", {"sock": 2, "addr": "127.0.0.1", "port": 7, "wait": False}),
    "connect_wait_string": line("sock.connect", {"sock": 2, "addr": "1.2.3.4", "port": 7, "wait": "yes"}),
    "disconnect": line("sock.connect", {"sock": 2, "disconnect": True}),
    "disconnect_false_no_addr": line("sock.connect", {"sock": 2, "disconnect": False}),
    "accept": line("sock.accept", {"sock": 9}),
    "accept_zero": line("sock.accept", {"sock": 0}),
    "name_float": line("sock.name", {"sock": 1.5}),
    "setopt_linger_off": line("sock.setopt", {"sock": 4, "name": "SO_LINGER", "value": -1}),
    "setopt_too_small": line("sock.setopt", {"sock": 4, "name": "SO_RCVBUF", "value": -2}),
    "setopt_extra_arg": line("sock.setopt", {"sock": 4, "name": "TCP_NODELAY", "value": 1, "level": 6}),
    "getopt": line("sock.getopt", {"sock": 4, "name": "TCP_INFO"}),
    "list": line("sock.list", {}),
    "lane": line("sock.lane", {}),
    "lane_for_sock": line("sock.lane", {"sock": 12}),
    "lane_sock_zero": line("sock.lane", {"sock": 0}),
    "lane_change_nodelay": struct.pack("<QIi", 7, 1, 1),
    "lane_change_bad_value": struct.pack("<QIi", 7, 1, 2),
    "lane_change_bad_option": struct.pack("<QIi", 7, 2, 0),
    "unknown": line("sock.shutdown", {"sock": 1, "how": 2}),
    "not_sock": line("version", {"type": "tcp", "sock": 5, "addr": "10.0.0.1", "port": 1}),
}

os.makedirs(HERE, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
print(f"wrote {len(SEEDS)} seeds to {HERE}")
