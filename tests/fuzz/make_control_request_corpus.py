#!/usr/bin/env python3
"""Writes the seed inputs of corpus/control_request: request lines of daemon/PROTOCOL.md,
valid ones for several commands and the malformed shapes the parser must refuse."""
import json
import os

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "control_request")


def line(obj):
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode()


SEEDS = {
    "version": line({"v": 1, "id": 1, "cmd": "version"}),
    "addr_add": line({"v": 1, "id": 7, "cmd": "addr.add", "args": {"if": "eth0", "addr": "10.0.0.2/24"}}),
    "if_add": line({"v": 1, "id": "a", "cmd": "if.add",
                    "args": {"name": "eth0", "bus": "/dev/shm/b", "mtu": 1500, "promisc": True,
                             "create": False, "format": "netbsd", "mac": "02:00:00:00:00:01"}}),
    "route_add": line({"v": 1, "id": None, "cmd": "route.add",
                       "args": {"dst": "default", "via": "10.0.0.254", "metric": 18446744073709551615}}),
    "ping": line({"v": 1, "id": 2.5, "cmd": "ping",
                  "args": {"addr": "10.0.0.2", "count": 3, "size": -1, "interval_ms": 1.5}}),
    "udp_send_unicode": line({"v": 1, "id": True, "cmd": "udp.send",
                              "args": {"to": "10.0.0.2:9", "data": "h\u00e9llo \u2603 \ud83d\ude00"}}),
    "udp_send_base64": line({"v": 1, "id": 4, "cmd": "udp.send",
                             "args": {"to": "10.0.0.2:9", "data_base64": "AAEC//4=", "from_port": 53}}),
    "udp_send_bad_base64": line({"v": 1, "cmd": "udp.send",
                                 "args": {"to": "10.0.0.2:9", "data_base64": "Zh==", "x": "fffe"}}),
    "unsupported_version": line({"v": 2, "id": 3, "cmd": "version"}),
    "invalid_request": line({"v": "1", "id": [1], "cmd": 5, "args": []}),
    "unknown_command": line({"v": 1, "cmd": "reboot", "args": {"now": None}}),
    "parse_error": b'{"v":1,"cmd":"version"\n',
    "bad_utf8": b'{"v":1,"cmd":"udp.send","args":{"data":"\xff\xfe"}}\n',
    "deep_nesting": b'{"v":1,"cmd":"config","args":{"a":' + b"[" * 500 + b"]" * 500 + b"}}\r\n",
}

os.makedirs(HERE, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
print(f"wrote {len(SEEDS)} seeds to {HERE}")
