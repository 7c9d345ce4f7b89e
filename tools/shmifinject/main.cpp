// shmifinject: replays a pcap or pcapng capture into a shmif bus (native or NetBSD rump
// format), as NetBSD's shmif_pcapin does, paced like tcpreplay.
//
// A writer of the bus like any other (libshmif's Writer), and libpcap reads the capture: no
// capture format is parsed here. Exit status: 0 success (also when stopped by SIGINT or
// SIGTERM); 1 the operation failed (capture or bus unreadable, not Ethernet, truncated or
// corrupt capture, the bus refused a write), one line "shmifinject: PATH: why" on stderr;
// 2 usage error.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "exit_status.hpp"
#include "injector.hpp"
#include "pcap_reader.hpp"
#include "sender_id.hpp"
#include "shmif/bus.hpp"
#include "shmif/writer.hpp"
#include "stop_signals.hpp"
#include "version_flag.hpp"

namespace shmifinject {
namespace {

using shmif::tool::exit_failure;
using shmif::tool::exit_ok;
using shmif::tool::exit_usage;
using shmif::tool::ExitStatus;

struct Args {
    std::string capture;
    std::string bus;
    bool realtime = false;
    bool topspeed = false;
    double pps = 0;
    double mbps = 0;
    std::uint64_t loops = 1;
    std::string sender;
};

std::string shown(const std::string& capture) {
    return capture == "-" ? "stdin" : capture;
}

void print_summary(const InjectStats& s, std::uint64_t sender, bool interrupted) {
    const double fps = s.elapsed_s > 0 ? static_cast<double>(s.frames) / s.elapsed_s : 0.0;
    const double mbit =
        s.elapsed_s > 0 ? static_cast<double>(s.bytes) * 8.0 / s.elapsed_s / 1e6 : 0.0;
    std::string line = fmt::format(
        "shmifinject: {} frames, {} bytes sent in {:.3f} s ({:.0f} frames/s, {:.2f} Mbit/s) as "
        "sender {:#x}; {} skipped oversize, {} truncated",
        s.frames, s.bytes, s.elapsed_s, fps, mbit, sender, s.oversize, s.truncated);
    if (s.runt > 0) line += fmt::format(", {} skipped short", s.runt);
    if (interrupted) line += "; interrupted";
    fmt::print(stderr, "{}\n", line);
}

constexpr const char* kFooter =
    R"(Pacing: without --topspeed, --pps or --mbps the capture's own timing is
reproduced (--realtime), as tcpreplay does by default. Deadlines are absolute, so the
rate does not drift; frames that are due together go out in one batch. With
--loop, each pass follows the previous one at once.

Frames larger than the bus allows or shorter than an Ethernet header (14 bytes)
are skipped and counted; frames the capture truncated (snaplen) are sent as
captured and counted. A one-line summary goes to stderr at the end, also when
SIGINT or SIGTERM stops the replay.

Exit status: 0 success (also when stopped by SIGINT/SIGTERM); 1 the operation
failed (capture or bus unreadable, not an Ethernet capture, truncated or corrupt
capture, the bus refused a write); 2 usage error.

Examples:
  shmifinject trace.pcapng /dev/shm/bus0             original timing
  shmifinject trace.pcap /dev/shm/bus0 --topspeed --loop 10
                                                     ten times, as fast as the bus takes
  shmifinject trace.pcap /dev/shm/bus0 --pps 1000 --sender 0x2a
                                                     1000 frames/s, as sender 0x2a
  tcpdump -i eth0 -w - | shmifinject - /dev/shm/bus0
                                                     a live capture, as it comes)";

int run(const Args& args, std::uint64_t sender) {
    shmif::tool::install_stop_handlers();
    auto reader = PcapReader::open(args.capture);
    if (!reader) {
        if (shmif::tool::stop_requested != 0) {  // interrupted while waiting for a header on stdin
            print_summary({}, sender, true);
            return exit_ok;
        }
        fmt::print(stderr, "shmifinject: {}: {}\n", shown(args.capture), reader.error());
        return exit_failure;
    }
    auto bus = shmif::Bus::open(args.bus);
    if (!bus) {
        fmt::print(stderr, "shmifinject: {}: {}\n", args.bus, shmif::describe(bus.error()));
        return exit_failure;
    }

    PaceOptions pace;
    if (args.topspeed) pace = {Pace::topspeed, 0};
    if (args.pps > 0) pace = {Pace::pps, args.pps};
    if (args.mbps > 0) pace = {Pace::mbps, args.mbps};

    shmif::Writer writer(*bus, {.sender = sender});
    const std::string where = shown(args.capture);
    Injector injector(writer, bus->max_frame(), pace, [&](const std::string& text) {
        fmt::print(stderr, "shmifinject: {}: warning: {}\n", where, text);
    });

    int status = exit_ok;
    for (std::uint64_t pass = 1; args.loops == 0 || pass <= args.loops; ++pass) {
        if (pass > 1) {
            auto again = PcapReader::open(args.capture);
            if (!again) {
                fmt::print(stderr, "shmifinject: {}: {}\n", where, again.error());
                status = exit_failure;
                break;
            }
            *reader = std::move(*again);
        }
        auto done = injector.run(*reader, &shmif::tool::stop_requested);
        if (!done) {
            const auto& f = done.error();
            fmt::print(stderr, "shmifinject: {}: {}\n",
                       f.where == Failure::Where::capture ? where : args.bus, f.message);
            status = exit_failure;
            break;
        }
        if (shmif::tool::stop_requested != 0 || reader->frames_read() == 0)
            break;  // nothing to repeat
    }
    print_summary(injector.stats(), writer.sender(), shmif::tool::stop_requested != 0);
    return status;
}

}  // namespace

int main_(int argc, char** argv) {
    CLI::App app{
        "shmifinject: replay a pcap or pcapng capture of Ethernet frames into a shmif bus "
        "(native or NetBSD rump format), as one more writer of the bus",
        "shmifinject"};
    app.footer(kFooter);
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return fmt::format("shmifinject: {} (see --help)\n", e.what());
    });
    shmif::tool::add_version_flag(app);

    Args args;
    app.add_option("PCAP", args.capture, "Capture file (pcap or pcapng); - reads standard input")
        ->required();
    app.add_option("BUS", args.bus, "Path of the bus file (see shmifbus create)")->required();
    auto* realtime = app.add_flag("--realtime", args.realtime,
                                  "Reproduce the capture's gaps between frames (the default)");
    auto* topspeed = app.add_flag("--topspeed", args.topspeed, "Send as fast as the bus takes");
    auto* pps =
        app.add_option("--pps", args.pps, "Send N frames per second")->check(CLI::Range(1e-3, 1e9));
    auto* mbps = app.add_option("--mbps", args.mbps, "Send N megabits (10^6 bits) per second")
                     ->check(CLI::Range(1e-3, 1e7));
    realtime->excludes(topspeed, pps, mbps);
    topspeed->excludes(pps, mbps);
    pps->excludes(mbps);
    app.add_option("--loop", args.loops, "Replay the capture N times (0: until stopped)")
        ->capture_default_str();
    app.add_option("--sender", args.sender,
                   "Sender id on the bus, decimal or 0x-prefixed hex, non-zero (default: random)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);
        return status == 0 ? exit_ok : exit_usage;
    }

    std::uint64_t sender = 0;
    if (!args.sender.empty()) {
        auto parsed = shmif::tool::parse_sender(args.sender);
        if (!parsed) {
            fmt::print(stderr,
                       "shmifinject: invalid --sender '{}': a non-zero 64-bit number, decimal or "
                       "0x-prefixed hex\n",
                       args.sender);
            return exit_usage;
        }
        sender = *parsed;
    } else {
        sender = shmif::random_sender_id();
    }
    if (args.capture == "-" && args.loops != 1) {
        fmt::print(stderr,
                   "shmifinject: --loop needs a capture file: standard input is read once\n");
        return exit_usage;
    }
    return run(args, sender);
}

}  // namespace shmifinject

int main(int argc, char** argv) {
    return shmifinject::main_(argc, argv);
}
