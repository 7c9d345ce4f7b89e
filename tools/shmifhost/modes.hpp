// shmifhost's modes, each a function of a running Host that returns the exit status.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host.hpp"
#include "netstack/address.hpp"
#include "services/service_spec.hpp"

namespace shmifhost {

struct ServeOptions {
    std::optional<std::uint16_t> udp_echo;  // echo datagrams back to their sender
    std::optional<std::uint16_t> udp_sink;  // print "from data" per datagram on stdout
    std::optional<std::chrono::duration<double>> duration;  // else until SIGINT/SIGTERM
    std::vector<services::ServiceSpec> services;            // --serve
};
// Answers ARP and ping (the stack does), serves the UDP ports and the services (on exit
// their counters go to stderr). 0 when stopped or done, 1 when a service cannot start.
int serve(Host& host, const ServeOptions& options);

struct PingOptions {
    netstack::IpAddress to;   // ICMP or ICMPv6 echo
    std::uint64_t count = 0;  // 0: until SIGINT/SIGTERM
    std::size_t size = 56;    // ICMP payload bytes
    std::chrono::duration<double> interval{1.0};
    std::chrono::duration<double> timeout{2.0};  // wait for the last reply after the last send
    bool quiet = false;                          // summary only
};
// ping(8)-like lines and summary on stdout. 0 when any reply came, 1 when none did.
int ping(Host& host, const PingOptions& options);

struct UdpSendOptions {
    netstack::Endpoint to;
    std::string data;
    std::uint64_t count = 1;
    std::uint16_t source_port = 0;  // 0: ephemeral
    std::chrono::duration<double> resolve_timeout{3.0};
};
// Sends `count` datagrams (after resolving the next hop). 0 when all left, 1 otherwise.
int udp_send(Host& host, const UdpSendOptions& options);

struct TcpClientOptions {
    netstack::Endpoint to;
    std::uint64_t bytes = 0;
    bool http = false;   // fetch: GET /bytes/N and read the body (else raw bytes, e.g. chargen)
    bool sha256 = true;  // hash the bytes (false: "sha256 -"; SHA-256 costs more than the TCP)
    std::chrono::duration<double> timeout{60.0};
};
// One connection: fetch reads `bytes` bytes (then sends its FIN and waits for the peer's),
// send writes `bytes` bytes of the /bytes/N pattern (services/patterns.hpp), sends its FIN
// and waits for the peer's. Prints "bytes N seconds S gbit/s G sha256 HEX" (HEX "-" when
// not hashed) on stdout; 0 when all bytes crossed, 1 otherwise (refused, reset, timed out,
// closed early).
int tcp_fetch(Host& host, const TcpClientOptions& options);
int tcp_send(Host& host, const TcpClientOptions& options);

struct TcpRrOptions {
    netstack::Endpoint to;  // an echo service (RFC 862)
    bool crr = false;       // connect, request, response, close per transaction
    std::size_t size = 1;   // request (and echo) bytes; crr: always 1
    std::chrono::duration<double> seconds{5.0};   // how long to run transactions
    std::chrono::duration<double> timeout{60.0};  // the most one transaction may take
};
// netperf's TCP_RR (one connection, one request in flight) or TCP_CRR (a new connection per
// transaction) for `seconds`. Prints "transactions N seconds S per_second R p50_us A p99_us
// B" (latency per transaction in microseconds) on stdout; 0 when all went well and at least
// one transaction completed, 1 otherwise (refused, reset, timed out, closed early).
int tcp_rr(Host& host, const TcpRrOptions& options);

}  // namespace shmifhost
