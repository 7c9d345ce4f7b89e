// shmiftap: bridges a shmif bus and a Linux TAP interface both ways, so the kernel's own
// stack (ping, socat, tcpdump -i tapX) meets whatever runs on the bus.
//
// Frames the kernel sends out of the TAP go onto the bus under the bridge's sender id;
// frames other bus members send go to the TAP (the cursor skips our own, so nothing loops).
// Exit status: 0 stopped by SIGINT/SIGTERM (counters printed); 1 the bridge failed (no bus,
// no /dev/net/tun, not allowed, the TAP went away), one line "shmiftap: ...: why" on stderr;
// 2 usage error.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <string>

#include "bridge.hpp"
#include "exit_status.hpp"
#include "sender_id.hpp"
#include "shmif/bus.hpp"
#include "stop_signals.hpp"
#include "tap_device.hpp"
#include "version_flag.hpp"

namespace shmiftap {
namespace {

using shmif::tool::exit_failure;
using shmif::tool::exit_ok;
using shmif::tool::exit_usage;

struct Args {
    std::string bus;
    std::string tap;
    bool create_bus = false;
    std::string sender;
    bool up = false;
    std::size_t mtu = 0;
    std::string io = "uring";
    std::size_t batch = 64;
    bool quiet = false;
};

constexpr std::size_t kEthernetHeader = 14;
constexpr std::size_t kVlanTag = 4;

constexpr const char* kFooter =
    R"(Sizes: the TAP sends frames of up to MTU + 14 bytes (+ 4 with a VLAN tag); the
bus carries frames up to its max_frame (native default 65,553 bytes, NetBSD format
its ring's limit). Larger TAP frames are dropped and counted ("oversize"); keep the
TAP's MTU at or below max_frame - 18 (--mtu sets it). Bus frames go to the TAP
whatever their size; the kernel takes frames up to 64 KiB and counts what it cannot
deliver in the TAP's own rx statistics. No offloads: every frame crosses whole.

I/O: --io uring (default) submits a batch of TAP reads or writes with one
io_uring_enter; --io plain makes one read(2)/write(2) per frame. Measured with
shmiftap-bench (2 vCPUs): io_uring x1.04-1.69 for bus->tap, level (x0.94-1.17) for
tap->bus. Without io_uring (seccomp, kernel.io_uring_disabled) the bridge falls
back to plain and says so.

On exit (SIGINT/SIGTERM) one line of counters goes to stderr: frames and bytes each
way, oversize drops, TAP write errors, and bus overruns / lost frames (the bridge
fell a ring behind the bus).

Exit status: 0 stopped by a signal; 1 the bridge failed (bus missing or not a bus,
/dev/net/tun missing, no permission, the TAP went away); 2 usage error.

Examples:
  shmiftap --bus /dev/shm/bus0 --tap tap0 --up --create-bus
                          make the TAP and the bus, bring the TAP up
  ip netns exec ns1 shmiftap --bus /tmp/bus --tap tap0 --up --mtu 9000
                          the TAP in network namespace ns1, jumbo frames
  ip tuntap add dev tap1 mode tap; shmiftap --bus /dev/shm/bus0 --tap tap1
                          a persistent TAP, which outlives shmiftap)";

int run(const Args& args, std::uint64_t sender, IoMode wanted_io) {
    shmif::tool::install_stop_handlers();
    std::string io_note;
    const IoMode io = usable_io_mode(wanted_io, io_note);
    if (!io_note.empty()) fmt::print(stderr, "shmiftap: {}\n", io_note);
    auto bus = args.create_bus ? shmif::Bus::create(args.bus, {}) : shmif::Bus::open(args.bus);
    if (!bus) {
        fmt::print(stderr, "shmiftap: {}: {}\n", args.bus, shmif::describe(bus.error()));
        return exit_failure;
    }
    auto tap = TapDevice::open(args.tap);
    if (!tap) {
        fmt::print(stderr, "shmiftap: {}: {}\n", args.tap, describe(tap.error()));
        return exit_failure;
    }
    if (args.mtu != 0) {
        if (auto ok = tap->set_mtu(args.mtu); !ok) {
            fmt::print(stderr, "shmiftap: {}: {}\n", tap->name(), describe(ok.error()));
            return exit_failure;
        }
    }
    if (args.up) {
        if (auto ok = tap->set_up(); !ok) {
            fmt::print(stderr, "shmiftap: {}: {}\n", tap->name(), describe(ok.error()));
            return exit_failure;
        }
    }
    const auto mtu = tap->mtu();
    if (!args.quiet) {
        fmt::print(stderr,
                   "shmiftap: bridging {} ({}, mtu {}) and {} (max frame {}) as sender {:#x}, "
                   "{} I/O\n",
                   tap->name(), tap->created() ? "created" : "attached", mtu ? *mtu : 0, args.bus,
                   bus->max_frame(), sender, io_mode_name(io));
    }
    if (mtu && *mtu + kEthernetHeader + kVlanTag > bus->max_frame()) {
        fmt::print(stderr,
                   "shmiftap: {}: warning: mtu {} allows frames over the bus's max frame {}; "
                   "they will be dropped\n",
                   tap->name(), *mtu, bus->max_frame());
    }

    Bridge bridge(*bus, *tap, {.sender = sender, .io = io, .batch = args.batch});
    const BridgeResult result = bridge.run(&shmif::tool::stop_requested);
    fmt::print(stderr, "shmiftap: {}\n", summary_line(result));
    if (result.error) {
        fmt::print(stderr, "shmiftap: {}\n", *result.error);
        return exit_failure;
    }
    return exit_ok;
}

}  // namespace

int main_(int argc, char** argv) {
    CLI::App app{
        "shmiftap: bridge a shmif bus and a Linux TAP interface both ways (needs "
        "CAP_NET_ADMIN to create the TAP, or a persistent TAP you own)",
        "shmiftap"};
    app.footer(kFooter);
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return fmt::format("shmiftap: {} (see --help)\n", e.what());
    });
    shmif::tool::add_version_flag(app);
    Args args;
    app.add_option("--bus", args.bus, "Path of the bus file")->required();
    app.add_option("--tap", args.tap,
                   "TAP interface: created if missing (gone when shmiftap exits), attached "
                   "to if it exists (ip tuntap add ... mode tap)")
        ->required();
    app.add_flag("--create-bus", args.create_bus,
                 "Create the bus (native format, default size) if it does not exist");
    app.add_option("--sender", args.sender,
                   "Our sender id on the bus, decimal or 0x-prefixed hex, non-zero (default: "
                   "random)");
    app.add_flag("--up", args.up, "Bring the TAP up (ip link set NAME up)");
    app.add_option("--mtu", args.mtu, "Set the TAP's MTU first")->check(CLI::Range(68, 65535));
    app.add_option("--io", args.io, "TAP I/O: uring (io_uring batches) or plain (read/write loops)")
        ->capture_default_str();
    app.add_option("--batch", args.batch, "Frames per batch (system calls, bus lock)")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    app.add_flag("-q,--quiet", args.quiet, "No start-up line (the exit counters still print)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);
        return status == 0 ? exit_ok : exit_usage;
    }
    std::uint64_t sender = shmif::random_sender_id();
    if (!args.sender.empty()) {
        const auto parsed = shmif::tool::parse_sender(args.sender);
        if (!parsed) {
            fmt::print(stderr,
                       "shmiftap: invalid --sender '{}': a non-zero 64-bit number, decimal or "
                       "0x-prefixed hex\n",
                       args.sender);
            return exit_usage;
        }
        sender = *parsed;
    }
    const auto io = parse_io_mode(args.io);
    if (!io) {
        fmt::print(stderr, "shmiftap: invalid --io '{}': plain or uring\n", args.io);
        return exit_usage;
    }
    return run(args, sender, *io);
}

}  // namespace shmiftap

int main(int argc, char** argv) {
    return shmiftap::main_(argc, argv);
}
