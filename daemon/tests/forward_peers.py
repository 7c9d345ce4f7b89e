#!/usr/bin/python3
"""Host-side (or, under shmifrun, virtual-side) peers of the port-forwarding tests
(daemon_forward_test.cpp). Each command prints one result line and exits 0 when the peer saw
what it expects; every wait is bounded by --timeout.

  echo-many HOST PORT N SIZE   N concurrent connections to an echo service: each sends SIZE
                               bytes of its own, shuts down writing, reads the echo to EOF.
                               Prints "ok N" when all N came back intact.
  half-close HOST PORT SIZE    One connection to an echo service: sends SIZE bytes, shuts down
                               writing, then reads: "echoed SIZE eof" if all came back
                               followed by EOF.
  ask HOST PORT SIZE           Sends SIZE bytes, shuts down writing, prints what comes back
                               ("reply ..." then "eof"): the client of reply-server.
  reply-server PORT            Serves one connection on 127.0.0.1:PORT: reads to EOF, then
                               answers "got N" and closes. Prints "listening" when ready.
  expect-reset HOST PORT       Connects, sends, reads: "reset" on ECONNRESET/ECONNREFUSED,
                               "eof" on a clean end, "data" if anything came.
  udp-echo HOST PORT FLOWS N   FLOWS UDP sockets each send N datagrams of their own to a UDP
                               echo and wait for each one back: "udp ok FLOWS*N".
  hold HOST PORT N             Opens N connections and holds them; prints "open K" (K that
                               connected and were not reset within a second), then waits for
                               stdin to close.
"""
import argparse
import asyncio
import hashlib
import resource
import socket
import sys
import time


def payload(index, size):
    seed = hashlib.sha256(str(index).encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


async def echo_one(host, port, index, size):
    reader, writer = await asyncio.open_connection(host, port)
    data = payload(index, size)
    writer.write(data)
    await writer.drain()
    writer.write_eof()
    got = await reader.read(-1)
    writer.close()
    return got == data


async def echo_many(host, port, n, size, timeout):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tasks = [echo_one(host, port, i, size) for i in range(n)]
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout)
    good = sum(1 for r in results if r is True)
    errors = {repr(r) for r in results if r is not True}
    print(f"ok {good}" if good == n else f"only {good} of {n}: {sorted(errors)[:5]}")
    return good == n


def connect(host, port, timeout):
    s = socket.create_connection((host, port), timeout=timeout)
    return s


def read_all(s):
    chunks = []
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("command")
    parser.add_argument("args", nargs="*")
    a = parser.parse_args()
    args = a.args
    if a.command == "echo-many":
        ok = asyncio.run(echo_many(args[0], int(args[1]), int(args[2]), int(args[3]), a.timeout))
        return 0 if ok else 1
    if a.command == "half-close":
        size = int(args[2])
        s = connect(args[0], int(args[1]), a.timeout)
        data = payload(7, size)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = read_all(s)
        print(f"echoed {len(got)} eof" if got == data else f"got {len(got)} bytes, not the echo")
        return 0 if got == data else 1
    if a.command == "ask":
        s = connect(args[0], int(args[1]), a.timeout)
        s.sendall(payload(3, int(args[2])))
        s.shutdown(socket.SHUT_WR)
        print("reply " + read_all(s).decode(errors="replace"))
        print("eof")
        return 0
    if a.command == "reply-server":
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", int(args[0])))
        server.listen()
        server.settimeout(a.timeout)
        print("listening", flush=True)
        conn, _ = server.accept()
        conn.settimeout(a.timeout)
        got = read_all(conn)
        conn.sendall(f"got {len(got)}".encode())
        conn.close()
        print(f"served {len(got)}")
        return 0
    if a.command == "expect-reset":
        try:
            s = connect(args[0], int(args[1]), a.timeout)
            s.sendall(b"hello\n")
            got = s.recv(100)
            print("data" if got else "eof")
        except (ConnectionResetError, ConnectionRefusedError) as e:
            print(f"reset ({e.__class__.__name__})")
        return 0
    if a.command == "udp-echo":
        host, port, flows, n = args[0], int(args[1]), int(args[2]), int(args[3])
        good = 0
        sockets = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(flows)]
        for f, s in enumerate(sockets):
            s.settimeout(a.timeout)
            for i in range(n):
                data = payload(f * 100000 + i, 100 + i % 1000)
                s.sendto(data, (host, port))
                got, _ = s.recvfrom(65536)
                good += got == data
        print(f"udp ok {good}" if good == flows * n else f"only {good} of {flows * n}")
        return 0 if good == flows * n else 1
    if a.command == "hold":
        held = []
        for _ in range(int(args[2])):
            try:
                held.append(connect(args[0], int(args[1]), a.timeout))
            except OSError:
                pass
        # A second for resets to arrive, then each is read once without waiting.
        time.sleep(1.0)
        alive = 0
        for s in held:
            s.setblocking(False)
            try:
                alive += 0 if s.recv(1) == b"" else 1
            except BlockingIOError:
                alive += 1  # nothing came: still open
            except OSError:
                pass
        print(f"open {alive}", flush=True)
        sys.stdin.read()
        return 0
    parser.error("unknown command " + a.command)
    return 2


if __name__ == "__main__":
    sys.exit(main())
