// shmifd: a userspace TCP/IP stack on shmif buses, run on a per-core worker pool and
// controlled through a Unix socket (daemon/PROTOCOL.md).
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "config.hpp"
#include "daemon.hpp"
#include "defaults.hpp"
#include "forward/forward_spec.hpp"
#include "logging.hpp"
#include "service_validator.hpp"
#include "shmifd/control/socket_path.hpp"
#include "version_flag.hpp"

namespace {

// The statuses of tools/common/exit_status.hpp: systemd/shmifd@.service does not restart
// after exit_usage (RestartPreventExitStatus=2).
constexpr int exit_ok = 0;
constexpr int exit_usage = 2;

const char* const description = R"(shmifd: a userspace TCP/IP stack on shmif buses.

Three ways to start:
  shmifd                      one interface eth0 on the default bus
                              ($XDG_RUNTIME_DIR/shmif/default.bus, else /run/shmif/default.bus,
                              created if missing) with address 10.0.0.1/24; the control socket
                              is shmifd.sock beside it ($SHMIFD_SOCKET overrides).
  shmifd --bus B --addr A     the same on bus B with address A (a.b.c.d/n or x:x::x/n;
                              repeat --addr for more, e.g. --addr 10.0.0.1/24 --addr
                              2001:db8::1/64); --name, --gateway (a default route, IPv4 or
                              IPv6) and --socket adjust it. IPv6 is always on: each interface
                              also has a link-local address from its MAC (fe80::/64, RFC 4862)
                              and answers Neighbor Discovery and ping6.
  shmifd --bus B --advertise P  also advertise itself as an IPv6 router (RFC 4861) with
                              prefix P (repeatable), so that hosts on the bus, a kernel behind
                              shmiftap included, form addresses in it (SLAAC); a default
                              router only with --forwarding ([interface.advertise] in a file).
  shmifd --config FILE.toml   everything from a file: [daemon], [stack], [[interface]] and
                              [[route]] tables (see the example.toml installed with shmifd).

Control it with shmifctl (or any client of the line-delimited JSON protocol): interfaces,
addresses, routes, neighbours, ping, UDP send/receive, statistics, TCP connections.

Test services on every worker, for anything on the network to talk to: --serve echo
(RFC 862, TCP and UDP port 7), discard (RFC 863, 9), chargen (RFC 864, 19), http (port 80:
GET /bytes/N answers N bytes where byte i = (i + i / 251) mod 256, GET / a status page);
KIND:PORT for another port, e.g. --serve http:8080. Repeatable.

Port forwarding, for programs that cannot run under shmifrun and for host tools:
--forward tcp:8080=10.0.0.2:80 listens on the host's 127.0.0.1:8080 and connects each
connection to 10.0.0.2:80 in the virtual network (the host address defaults to 127.0.0.1;
write 0.0.0.0 or another address out to listen there). --expose tcp:10.0.0.1:5432=5432
listens in the stack on 10.0.0.1:5432 and connects each connection to the host's
127.0.0.1:5432. Ranges map onto ranges: tcp:9000-9010=10.0.0.2:9000-9010. Half-closes and
resets cross over. Repeatable; also [[forward]]/[[expose]] in the file and shmifctl fwd.

Loopback: every daemon has lo, 127.0.0.1/8 inside its stack (not the host's), on a bus only
the daemon maps; traffic to 127/8 and to the daemon's own addresses goes over it to whichever
worker owns it (--no-loopback, [daemon] loopback = false: none).

Signals: SIGTERM/SIGINT stop cleanly: no new connections or requests (those get
shutting_down replies), requests in flight run to completion for up to the drain time
(--drain-time, [daemon] drain_ms, default 5000 ms), those still running then are answered
shutting_down, the replies are written, the socket file is removed, exit 0. A second
SIGTERM/SIGINT during the drain ends it at once (the same shutting_down replies).
SIGHUP re-reads --config and brings the daemon to it: the file wins, so what shmifctl
changed at run time and the file does not have is undone (each such change is logged at
info); a bad file is logged and the running configuration kept. `shmifctl config save FILE`
first keeps run-time changes. Under systemd (Type=notify) readiness, reloads and stopping are
reported, and logs go to the journal. Changes through the control socket are logged at info
with the client's pid.

Addresses are probed for before they are configured (RFC 5227 ARP probes, [stack.arp]
probe_wait_ms, 100 ms by default; 0 turns probing off): an address another host uses on the
bus is refused with an error naming its MAC. A host that claims one of our addresses later is
answered with one announcement per 10 s, logged (a warning per address per 10 s at most) and
counted (stats: stack.arp.address_conflicts).

Exit status: 0 stopped cleanly; 1 start-up failed (e.g. another daemon answers on the control
socket: checked before any bus is opened; a bus that cannot be opened); 2 usage error or bad
configuration (missing or unreadable file, parse error, bad value), or an address already in
use on its bus (see above).)";

CLI::Validator forward_spec_validator(shmifd::forward::Direction direction) {
    return CLI::Validator(
        [direction](std::string& text) -> std::string {
            auto spec = shmifd::forward::parse_forward(text, direction);
            return spec ? std::string() : spec.error();
        },
        "SPEC");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app(description, "shmifd");
    shmif::tool::add_version_flag(app);
    std::string config_file, bus, name = "eth0";
    std::vector<std::string> addresses;
    std::optional<std::string> gateway;
    shmifd::CommandLineOverrides overrides;
    app.add_option("-c,--config", config_file, "TOML configuration file")->check(CLI::ExistingFile);
    auto* bus_opt =
        app.add_option("-b,--bus", bus, "bus file of the single interface (quick form)");
    auto* addr_opt =
        app.add_option("-a,--addr", addresses,
                       "its address, a.b.c.d/n or x:x::x/n; repeatable (default 10.0.0.1/24)");
    auto* name_opt = app.add_option("-n,--name", name, "its name (default eth0)");
    auto* gw_opt = app.add_option("-g,--gateway", gateway, "a default route via this address");
    std::vector<std::string> advertise;
    auto* advertise_opt = app.add_option(
        "--advertise", advertise,
        "advertise this IPv6 prefix (x:x::/n, n <= 64) in Router Advertisements; repeatable");
    app.add_option(
        "-s,--socket", overrides.socket,
        "control socket path (default " + shmifd::control::default_socket_path().string() + ")");
    app.add_option("--socket-group", overrides.socket_group,
                   "make the control socket 0660 and owned by this group (name or gid); "
                   "default 0600, owner only");
    app.add_option("-w,--workers", overrides.workers, "worker threads (default: one per CPU)")
        ->check(CLI::Range(1, 1024));
    app.add_option("-l,--log-level", overrides.log_level,
                   shmifd::log_level_list() + " (default info)")
        ->check(CLI::IsMember(
            std::vector<std::string>(shmifd::log_levels.begin(), shmifd::log_levels.end())));
    app.add_option("--drain-time", overrides.drain_ms,
                   "on SIGTERM, milliseconds requests in flight may still run (default 5000)")
        ->check(CLI::Range(0, 600'000));
    bool forwarding = false;
    auto* forwarding_flag =
        app.add_flag("--forwarding", forwarding,
                     "route packets not addressed to us between interfaces "
                     "(also [stack] forwarding, shmifctl stack set forwarding)");
    bool no_pin = false;
    auto* no_pin_flag = app.add_flag(
        "--no-pin", no_pin,
        "leave the workers to the scheduler instead of a CPU each: better on a machine busy "
        "with other work (also [daemon] pin_workers)");
    bool no_loopback = false;
    auto* no_loopback_flag = app.add_flag(
        "--no-loopback", no_loopback,
        "no loopback interface lo (127.0.0.1/8, private to the daemon; also [daemon] loopback)");
    std::vector<std::string> serve;
    app.add_option("--serve", serve,
                   "serve a test service on every worker, KIND[:PORT][/tcp|udp|both]: echo "
                   "(port 7), discard (9), chargen (19), http (80, GET /bytes/N); repeatable, "
                   "also [[service]] in the file and shmifctl service add")
        ->allow_extra_args(false)
        ->check(shmif::tool::service_spec_validator());
    std::vector<std::string> forwards, exposes;
    app.add_option("--forward", forwards,
                   "forward a host port into the virtual network, "
                   "tcp:[HOST_ADDR:]PORT[-LAST]=VIRT_ADDR[:PORT[-LAST]] (host address "
                   "127.0.0.1 unless written); repeatable, also [[forward]] and shmifctl fwd add")
        ->allow_extra_args(false)
        ->check(forward_spec_validator(shmifd::forward::Direction::inbound));
    app.add_option("--expose", exposes,
                   "expose a host port to the virtual network, "
                   "tcp:VIRT_ADDR:PORT[-LAST]=[HOST_ADDR:][PORT[-LAST]]; repeatable, also "
                   "[[expose]] and shmifctl fwd add --expose")
        ->allow_extra_args(false)
        ->check(forward_spec_validator(shmifd::forward::Direction::outbound));
    for (auto* quick : {bus_opt, addr_opt, name_opt, gw_opt, advertise_opt})
        quick->excludes("--config");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // CLI11's own codes (105 for a file that does not exist, ...) are not ours.
        return app.exit(e) == 0 ? exit_ok : exit_usage;
    }
    if (forwarding_flag->count() > 0) overrides.forwarding = forwarding;
    if (no_loopback_flag->count() > 0) overrides.loopback = false;
    if (no_pin_flag->count() > 0) overrides.pin_workers = false;
    for (const auto& text : serve)
        overrides.serve.push_back(*services::parse_service(text));
    for (const auto& text : forwards)
        overrides.forwards.push_back(
            *shmifd::forward::parse_forward(text, shmifd::forward::Direction::inbound));
    for (const auto& text : exposes)
        overrides.forwards.push_back(
            *shmifd::forward::parse_forward(text, shmifd::forward::Direction::outbound));
    // Two of them on one port: a mistake, not an override (the file's are replaced by them).
    for (std::size_t i = 0; i < overrides.forwards.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (shmifd::forward::overlaps(overrides.forwards[i], overrides.forwards[j])) {
                std::fprintf(stderr, "shmifd: %s: its ports overlap %s\n",
                             overrides.forwards[i].name().c_str(),
                             overrides.forwards[j].name().c_str());
                return exit_usage;
            }

    shmifd::Config config;
    try {
        if (!config_file.empty()) {
            config = shmifd::load_config_file(config_file, overrides);
        } else {
            config = shmifd::quick_config({.bus = bus,
                                           .addresses = addresses,
                                           .name = name,
                                           .gateway = gateway,
                                           .advertise = advertise});
            config.file.reset();
            shmifd::apply_overrides(config, overrides);
        }
    } catch (const shmifd::ConfigError& e) {
        std::fprintf(stderr, "shmifd: %s\n", e.what());
        return exit_usage;
    }

    shmifd::setup_logging(config.daemon.log_level);
    if (argc == 1) {
        const auto& i = config.interfaces.front();
        spdlog::info("no arguments: interface {} on bus {} with {}, control socket {}", i.name,
                     i.bus, i.addresses.front().to_string(), config.daemon.socket);
    }
    return shmifd::run_daemon(std::move(config), overrides);
}
