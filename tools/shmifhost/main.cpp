// shmifhost: one process running our userspace stack on a bus, for tests and scripts that do
// not need the daemon. Serves (ARP, ping, a UDP echo or sink port, the test services), pings,
// sends UDP, moves bytes over one TCP connection (tcp-fetch, tcp-send), or times
// request/response transactions against an echo service (tcp-rr, tcp-crr).
//
// Exit status: 0 success (serve: stopped by SIGINT/SIGTERM or --duration; ping: some reply
// came; udp-send: all sent); 1 failure (bus unreadable, address refused, no reply, next hop
// silent), one line "shmifhost: ...: why" on stderr; 2 usage error.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "exit_status.hpp"
#include "host.hpp"
#include "modes.hpp"
#include "service_validator.hpp"
#include "stop_signals.hpp"
#include "version_flag.hpp"

namespace shmifhost {
namespace {

using shmif::tool::exit_failure;
using shmif::tool::exit_ok;
using shmif::tool::exit_usage;

struct Args {
    std::string bus, addr, gateway, mac, name = "eth0";
    bool create_bus = false, stats = false, quiet = false;
    std::uint64_t seed = 0;
    std::size_t mtu = 1500;
    // serve
    std::optional<std::uint16_t> udp_echo, udp_sink;
    std::optional<double> duration;
    // ping
    std::string ping;
    std::uint64_t count = 0;
    std::size_t size = 56;
    double interval = 1.0, timeout = 2.0;
    // udp-send
    std::string udp_send, data;
    std::uint64_t send_count = 1;
    std::uint16_t source_port = 0;
    // services and the TCP client
    std::vector<std::string> serve;
    std::string tcp_fetch, tcp_send, tcp_rr, tcp_crr;
    std::uint64_t bytes = 0;
    bool http = false, no_sha256 = false;
    double tcp_timeout = 60.0;
    double seconds = 5.0;
    bool size_given = false;
};

constexpr const char* kFooter =
    R"(Modes: without --ping or --udp-send, serve: answer ARP and ping (echo requests)
until SIGINT/SIGTERM or --duration, with --udp-echo PORT sending every datagram
back and --udp-sink PORT printing "ADDR:PORT DATA" per datagram on stdout.

--ping prints as ping(8) does and exits 0 when any reply came, 1 when none did.

--udp-send ADDR:PORT --data TEXT sends --send-count datagrams (after ARP resolves the
next hop; exit 1 when it does not answer).

--serve KIND[:PORT] (repeatable) serves echo (RFC 862, TCP and UDP 7), discard (863,
9), chargen (864, 19) or http (80: GET /bytes/N gives N bytes, byte i = (i + i/251)
mod 256; GET / a status page); their counters go to stderr at exit.

--tcp-fetch ADDR:PORT --bytes N reads N bytes over TCP (from chargen, or with --http
the body of GET /bytes/N); --tcp-send ADDR:PORT --bytes N sends N bytes of the
/bytes/N pattern. Both print "bytes N seconds S gbit/s G sha256 HEX" on stdout
(HEX "-" with --no-sha256, for throughput: hashing costs more than the TCP).

--tcp-rr ADDR:PORT [--size S] [--seconds T] (netperf's TCP_RR) sends S-byte requests
(default 1) to an echo service on one connection, one in flight, for T seconds (default
5); --tcp-crr ADDR:PORT [--seconds T] (TCP_CRR) connects, sends 1 byte, reads its echo and
closes, over and over. Both print "transactions N seconds S per_second R p50_us A p99_us B"
(latency per transaction, microseconds); --tcp-timeout bounds one transaction.
--tcp-crr lets the stack hold 65,536 connections (TIME-WAIT ones count) and stops early,
rate kept, when all 28,232 ephemeral ports are in TIME-WAIT.

On start one line on stderr says who we are: "shmifhost: eth0 MAC ADDR/LEN on BUS".
--stats prints every stack, bus device and cursor counter on stderr at exit.

Exit status: 0 success; 1 failure (bus unreadable, address refused, no ping reply,
next hop silent); 2 usage error.

Examples:
  shmifhost --bus /dev/shm/bus0 --addr 10.0.0.2/24 --udp-echo 7
                          answer pings, echo UDP port 7
  shmifhost --bus /dev/shm/bus0 --addr 10.0.0.3/24 --ping 10.0.0.2 -c 3 -s 8000
                          three pings that fragment
  shmifhost --bus /dev/shm/bus0 --addr 10.0.0.3/24 --udp-send 10.0.0.2:7 --data hi
                          one datagram
  shmifhost --bus /dev/shm/bus0 --addr 10.0.0.3/24 --gateway 10.0.0.1 --ping 8.8.8.8
                          ping through a router
  shmifhost --bus /dev/shm/bus0 --addr 10.0.0.2/24 --serve http --serve echo
                          the http and echo test services
  shmifhost --bus /dev/shm/bus0 --addr 10.0.0.3/24 --tcp-fetch 10.0.0.2:80 --http --bytes 1000000000
                          TCP throughput: 1 GB from the http service
  shmifhost --bus /dev/shm/bus0 --addr 10.0.0.3/24 --tcp-rr 10.0.0.2:7 --size 64 --seconds 3
                          request/response latency for 3 s
  shmifhost --bus /dev/shm/bus0 --addr 10.0.0.3/24 --tcp-crr 10.0.0.2:7
                          connections per second)";

int run(const Args& a, const HostConfig& config) {
    shmif::tool::install_stop_handlers();
    auto host = Host::open(config);
    if (!host) {
        fmt::print(stderr, "shmifhost: {}\n", host.error());
        return exit_failure;
    }
    if (!a.quiet)
        fmt::print(stderr, "shmifhost: {} {} {} on {} (sender {:#x})\n", config.name,
                   (*host)->mac().to_string(), config.address.to_string(), config.bus,
                   (*host)->device().sender());
    int status = exit_ok;
    if (!a.ping.empty()) {
        PingOptions p{.to = *netstack::IpAddress::parse(a.ping),
                      .count = a.count,
                      .size = a.size,
                      .interval = std::chrono::duration<double>(a.interval),
                      .timeout = std::chrono::duration<double>(a.timeout),
                      .quiet = a.quiet};
        status = ping(**host, p);
    } else if (!a.udp_send.empty()) {
        UdpSendOptions u{.to = *netstack::Endpoint::parse(a.udp_send),
                         .data = a.data,
                         .count = a.send_count,
                         .source_port = a.source_port,
                         .resolve_timeout = std::chrono::duration<double>(3.0)};
        status = udp_send(**host, u);
    } else if (!a.tcp_fetch.empty() || !a.tcp_send.empty()) {
        const bool fetch = !a.tcp_fetch.empty();
        TcpClientOptions t{.to = *netstack::Endpoint::parse(fetch ? a.tcp_fetch : a.tcp_send),
                           .bytes = a.bytes,
                           .http = a.http,
                           .sha256 = !a.no_sha256,
                           .timeout = std::chrono::duration<double>(a.tcp_timeout)};
        status = fetch ? tcp_fetch(**host, t) : tcp_send(**host, t);
    } else if (!a.tcp_rr.empty() || !a.tcp_crr.empty()) {
        const bool crr = !a.tcp_crr.empty();
        TcpRrOptions r{.to = *netstack::Endpoint::parse(crr ? a.tcp_crr : a.tcp_rr),
                       .crr = crr,
                       .size = a.size_given ? a.size : 1,
                       .seconds = std::chrono::duration<double>(a.seconds),
                       .timeout = std::chrono::duration<double>(a.tcp_timeout)};
        status = tcp_rr(**host, r);
    } else {
        ServeOptions s{.udp_echo = a.udp_echo,
                       .udp_sink = a.udp_sink,
                       .duration = std::nullopt,
                       .services = {}};
        for (const auto& text : a.serve)
            s.services.push_back(*services::parse_service(text));
        if (a.duration) s.duration = std::chrono::duration<double>(*a.duration);
        status = serve(**host, s);
    }
    if (a.stats) fmt::print(stderr, "{}", stats_report(**host));
    return status;
}

}  // namespace

int main_(int argc, char** argv) {
    CLI::App app{
        "shmifhost: run the shmifd userspace TCP/IP stack on a shmif bus as one host: serve "
        "ARP/ping/UDP, ping, send UDP, or time TCP transfers and transactions",
        "shmifhost"};
    app.footer(kFooter);
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return fmt::format("shmifhost: {} (see --help)\n", e.what());
    });
    shmif::tool::add_version_flag(app);
    Args a;
    app.add_option("--bus", a.bus, "Path of the bus file")->required();
    app.add_flag("--create-bus", a.create_bus, "Create the bus if it does not exist");
    app.add_option("--addr", a.addr, "Our address with prefix, e.g. 10.0.0.2/24 or 2001:db8::2/64")
        ->required();
    app.add_option("--gateway", a.gateway, "Default gateway (on-link address)");
    app.add_option("--mac", a.mac, "Our MAC (default: derived from --seed and the name)");
    app.add_option("--name", a.name, "Interface name")->capture_default_str();
    app.add_option("--mtu", a.mtu,
                   "IP MTU (0: the bus's limit); larger datagrams fragment, as on Ethernet")
        ->check(CLI::Range(0, 65535))
        ->capture_default_str();
    app.add_option("--seed", a.seed, "Stack seed: MAC derivation, IP ids, ports (default random)");
    app.add_flag("--stats", a.stats, "Print every counter on stderr at exit");
    app.add_flag("-q,--quiet", a.quiet, "No start-up line; ping: summary only");
    auto* echo = app.add_option("--udp-echo", a.udp_echo, "Serve: echo UDP datagrams on PORT");
    auto* sink =
        app.add_option("--udp-sink", a.udp_sink, "Serve: print UDP datagrams on PORT to stdout");
    auto* duration = app.add_option("--duration", a.duration, "Serve: stop after SECONDS")
                         ->check(CLI::PositiveNumber);
    auto* ping_opt = app.add_option("--ping", a.ping, "Ping ADDR");
    app.add_option("-c,--count", a.count, "Ping: requests to send (0: until stopped)")
        ->capture_default_str();
    auto* size_opt =
        app.add_option("-s,--size", a.size,
                       "Ping: payload bytes (large ones fragment); tcp-rr: request bytes "
                       "(default 1)")
            ->check(CLI::Range(0, 65507))
            ->capture_default_str();
    app.add_option("-i,--interval", a.interval, "Ping: seconds between requests")
        ->check(CLI::Range(0.0001, 3600.0))
        ->capture_default_str();
    app.add_option("-W,--timeout", a.timeout, "Ping: seconds to wait for replies after the last")
        ->check(CLI::Range(0.0, 3600.0))
        ->capture_default_str();
    auto* send = app.add_option("--udp-send", a.udp_send, "Send UDP to ADDR:PORT");
    auto* data = app.add_option("--data", a.data, "UDP payload text (with --udp-send)");
    app.add_option("--send-count", a.send_count, "Datagrams to send (with --udp-send)")
        ->capture_default_str();
    app.add_option("--source-port", a.source_port, "UDP source port (0: ephemeral)");
    auto* serve = app.add_option("--serve", a.serve,
                                 "Serve: a test service KIND[:PORT][/tcp|udp|both] (repeatable)")
                      ->allow_extra_args(false)
                      ->check(shmif::tool::service_spec_validator());
    auto* fetch =
        app.add_option("--tcp-fetch", a.tcp_fetch, "Read --bytes N over TCP from ADDR:PORT");
    auto* tcp_send_opt =
        app.add_option("--tcp-send", a.tcp_send, "Send --bytes N over TCP to ADDR:PORT");
    auto* bytes = app.add_option("--bytes", a.bytes, "TCP: bytes to move");
    auto* http = app.add_flag("--http", a.http, "tcp-fetch: GET /bytes/N and read the body");
    auto* no_sha = app.add_flag("--no-sha256", a.no_sha256,
                                "tcp-fetch, tcp-send: do not hash the bytes (print sha256 -): for "
                                "throughput, SHA-256 costs more than the TCP");
    app.add_option("--tcp-timeout", a.tcp_timeout,
                   "TCP: seconds the whole transfer (tcp-rr, tcp-crr: one transaction) may take")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    auto* rr = app.add_option("--tcp-rr", a.tcp_rr,
                              "Request/response over one TCP connection to an echo ADDR:PORT");
    auto* crr = app.add_option("--tcp-crr", a.tcp_crr,
                               "Connect/request/response/close to an echo ADDR:PORT, repeated");
    auto* seconds = app.add_option("--seconds", a.seconds, "tcp-rr, tcp-crr: seconds to run")
                        ->check(CLI::PositiveNumber)
                        ->capture_default_str();
    ping_opt->excludes(send, echo, sink, duration, serve, fetch, tcp_send_opt, rr, crr);
    send->excludes(echo, sink, duration, serve, fetch, tcp_send_opt, rr, crr);
    send->needs(data);
    fetch->excludes(echo, sink, duration, serve, tcp_send_opt, rr, crr);
    tcp_send_opt->excludes(echo, sink, duration, serve, http, rr, crr);
    rr->excludes(echo, sink, duration, serve, crr, bytes);
    crr->excludes(echo, sink, duration, serve, bytes, size_opt);
    fetch->needs(bytes);
    tcp_send_opt->needs(bytes);
    http->needs(fetch);
    no_sha->excludes(ping_opt, send, serve, rr, crr);
    seconds->excludes(ping_opt, send, fetch, tcp_send_opt, serve);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);
        return status == 0 ? exit_ok : exit_usage;
    }
    a.size_given = size_opt->count() > 0;
    auto usage = [](const std::string& what) {
        fmt::print(stderr, "shmifhost: {}\n", what);
        return exit_usage;
    };
    if (a.size_given && !a.tcp_rr.empty() && a.size == 0)
        return usage("invalid --size 0 with --tcp-rr: 1 or more bytes");
    HostConfig config;
    config.bus = a.bus;
    config.create_bus = a.create_bus;
    config.name = a.name;
    config.seed = a.seed;
    // Every closed connection stays in TIME-WAIT for 60 s: thousands a second for tcp-crr.
    if (!a.tcp_crr.empty()) config.tcp_max_connections = 65536;
    if (a.mtu != 0 && a.mtu < 68) return usage("invalid --mtu: 68 or more (RFC 791), or 0");
    config.mtu = a.mtu;
    const auto cidr = netstack::IpCidr::parse(a.addr);
    if (!cidr || a.addr.find('/') == std::string::npos)
        return usage("invalid --addr '" + a.addr +
                     "': ADDRESS/PREFIX, e.g. 10.0.0.2/24 or 2001:db8::2/64");
    config.address = *cidr;
    if (!a.gateway.empty()) {
        config.gateway = netstack::IpAddress::parse(a.gateway);
        if (!config.gateway || config.gateway->family() != cidr->family())
            return usage("invalid --gateway '" + a.gateway + "': an address of --addr's family");
    }
    if (!a.mac.empty()) {
        const auto mac = netstack::MacAddress::parse(a.mac);
        if (!mac || mac->is_multicast() || mac->is_zero())
            return usage("invalid --mac '" + a.mac + "': a unicast MAC, e.g. 02:00:00:00:00:01");
        config.mac = *mac;
    }
    if (!a.ping.empty() && !netstack::IpAddress::parse(a.ping))
        return usage("invalid --ping '" + a.ping + "': an IPv4 or IPv6 address");
    if (!a.udp_send.empty() && !netstack::Endpoint::parse(a.udp_send))
        return usage("invalid --udp-send '" + a.udp_send + "': ADDRESS:PORT");
    for (const auto* tcp : {&a.tcp_fetch, &a.tcp_send, &a.tcp_rr, &a.tcp_crr}) {
        const auto to = tcp->empty() ? std::nullopt : netstack::Endpoint::parse(*tcp);
        if (!tcp->empty() && (!to || to->port == 0))
            return usage("invalid TCP peer '" + *tcp + "': ADDRESS:PORT");
    }
    return run(a, config);
}

}  // namespace shmifhost

int main(int argc, char** argv) {
    return shmifhost::main_(argc, argv);
}
