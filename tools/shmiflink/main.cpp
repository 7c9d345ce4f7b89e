// shmiflink: joins two buses through netem-style impairments, like VDE's wirefilter between
// two switches: whatever runs on either bus (the kernel through shmiftap, a NetBSD rump
// kernel, our stacks and daemons) sits behind a bad link without being changed.
//
// Exit status: 0 stopped by SIGINT/SIGTERM (counters printed); 1 a bus cannot be opened or a
// thread cannot be pinned, one line "shmiflink: ...: why" on stderr; 2 usage error (bad
// options, bad NETEM words, an impair file that does not parse at start).
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "direction.hpp"
#include "exit_status.hpp"
#include "impair/settings.hpp"
#include "link_config.hpp"
#include "shmif/bus.hpp"
#include "stop_signals.hpp"
#include "version_flag.hpp"

namespace shmiflink {
namespace {

using shmif::tool::exit_failure;
using shmif::tool::exit_ok;
using shmif::tool::exit_usage;
namespace impair = shmif::impair;

struct Args {
    std::string bus_a, bus_b;
    std::optional<std::uint64_t> seed;
    std::optional<std::string> both, a_to_b, b_to_a;
    std::string impair_file;
    std::optional<unsigned> cpu_a_to_b, cpu_b_to_a;
    std::size_t batch = 64;
    unsigned spin_us = 50;
    bool json = false, quiet = false;
};

constexpr const char* kFooter =
    R"TXT(NETEM is tc-netem(8)'s own words, one quoted argument, e.g. 'loss 10% delay 5ms 1ms'
(NETEM words, below). Times take s, ms, us, ns (a bare number is microseconds); CORR is
a correlation, N%. --both sets both directions; --a-to-b (frames from BUS_A to BUS_B) and
--b-to-a override it. A direction with nothing set forwards ring to ring without the
engine (one copy).

Run-time changes: SIGHUP re-reads --impair-file, lines 'a-to-b: NETEM', 'b-to-a: NETEM',
'both: NETEM' ('#' comments; later lines win; a direction the file does not name keeps
its command-line settings). The file is also read at start and wins over the flags. A
signal and a file, not a control socket: no protocol or client to write, it works from
any shell script (echo 'both: loss 5%' > f; kill -HUP PID), and the file records what
was applied. A file that does not parse is reported as FILE:LINE and the old settings
stay. Each direction takes the change between two batches; frames already waiting keep
their times. Each change is confirmed on stderr: "shmiflink: a-to-b: now 'WORDS' (after
N frames read)".

Counters: SIGUSR1 prints one line per direction on stderr, and so does the exit
(SIGINT/SIGTERM): frames read/sent, send failures, oversize (longer than the other
bus's max frame: dropped), torn, overruns and lost frames of the source bus, then the
impairment's counters (frames_in ... queue_peak, queued). --json also prints them as a
JSON object on stdout at exit.

Frames shmiflink writes carry its own sender ids, which its cursors skip: nothing it
forwards comes back. One thread per direction (--cpu-a-to-b, --cpu-b-to-a pin them).

Exit status: 0 stopped by SIGINT/SIGTERM; 1 a bus cannot be opened, a thread cannot be
pinned; 2 usage error (options, NETEM words, the impair file at start).

NETEM words:
  delay TIME [JITTER [CORR]]  [distribution uniform|normal|pareto|paretonormal]
  loss [random] PERCENT [CORR]
                        or loss gemodel P [R [1-H [1-K]]] (Gilbert-Elliott)
  duplicate PERCENT [CORR]
                        send some frames twice
  corrupt PERCENT [CORR]
                        flip a bit in some frames
  reorder PERCENT [CORR] [gap N]
                        needs a delay: reordered frames skip it
  rate RATE             bit, kbit, mbit, gbit, ...; bps, kbps, ... are bytes
  limit FRAMES          frames held at most (1000)
  seed N                the same decisions on every run; else --seed, b-to-a using --seed + 1
  none                  untouched

Examples:
  shmiflink /dev/shm/bus0 /dev/shm/bus1 --both 'delay 20ms 2ms loss 1%'
                        a lossy, jittery link both ways
  shmiflink /dev/shm/a /dev/shm/b --a-to-b 'rate 100mbit limit 200' --seed 7
                        100 Mbit/s from a to b, repeatable decisions
  shmiflink /dev/shm/a /dev/shm/b --impair-file /run/link.conf
                        settings from a file; edit it, then kill -HUP PID)TXT";

std::expected<impair::Settings, std::string> parse_option(const char* option,
                                                          const std::optional<std::string>& text,
                                                          const impair::Settings& fallback) {
    if (!text) return fallback;
    auto parsed = impair::parse_netem(*text);
    if (!parsed)
        return std::unexpected(fmt::format("invalid {} '{}': {}", option, *text, parsed.error()));
    return parsed;
}

void print_stats(const Direction& a, const DirectionStats& sa, const Direction& b,
                 const DirectionStats& sb) {
    fmt::print(stderr, "shmiflink: {}\nshmiflink: {}\n", stats_line(a.name(), sa),
               stats_line(b.name(), sb));
    std::fflush(stderr);
}

bool pin(std::thread& thread, unsigned cpu, const std::string& name) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    const int rc = ::pthread_setaffinity_np(thread.native_handle(), sizeof set, &set);
    if (rc != 0) {
        fmt::print(stderr, "shmiflink: {}: cannot pin to CPU {}: {}\n", name, cpu,
                   std::strerror(rc));
        return false;
    }
    return true;
}

int run(const Args& args, const LinkSettings& flags, LinkSettings settings, std::uint64_t seed) {
    auto bus_a = shmif::Bus::open(args.bus_a);
    if (!bus_a) {
        fmt::print(stderr, "shmiflink: {}: {}\n", args.bus_a, shmif::describe(bus_a.error()));
        return exit_failure;
    }
    auto bus_b = shmif::Bus::open(args.bus_b);
    if (!bus_b) {
        fmt::print(stderr, "shmiflink: {}: {}\n", args.bus_b, shmif::describe(bus_b.error()));
        return exit_failure;
    }

    // Signals go to this thread alone, taken synchronously with sigtimedwait (no handler, so
    // SIGHUP can read a file and SIGUSR1 can ask the pumps for counters). The pump threads
    // inherit the blocked mask.
    sigset_t signals;
    ::sigemptyset(&signals);
    for (int sig : {SIGHUP, SIGUSR1, SIGINT, SIGTERM})
        ::sigaddset(&signals, sig);
    ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    const std::uint64_t sender_ab = shmif::random_sender_id();
    std::uint64_t sender_ba = shmif::random_sender_id();
    while (sender_ba == sender_ab)
        sender_ba = shmif::random_sender_id();
    const auto spin = std::chrono::microseconds(args.spin_us);
    Direction a_to_b(*bus_a, *bus_b,
                     {.name = "a-to-b",
                      .settings = settings.a_to_b,
                      .seed = seed,
                      .sender = sender_ab,
                      .skip_sender = sender_ba,
                      .batch = args.batch,
                      .spin = spin});
    Direction b_to_a(*bus_b, *bus_a,
                     {.name = "b-to-a",
                      .settings = settings.b_to_a,
                      .seed = seed + 1,
                      .sender = sender_ba,
                      .skip_sender = sender_ab,
                      .batch = args.batch,
                      .spin = spin});
    for (Direction* d : {&a_to_b, &b_to_a}) {
        d->on_applied([d](const impair::Settings& s, std::uint64_t frames_read) {
            fmt::print(stderr, "shmiflink: {}: now '{}' (after {} frames read)\n", d->name(),
                       impair::format_netem(s), frames_read);
            std::fflush(stderr);
        });
    }
    if (!args.quiet) {
        fmt::print(stderr,
                   "shmiflink: linking {} (max frame {}) and {} (max frame {}): a-to-b '{}' "
                   "(sender {:#x}), b-to-a '{}' (sender {:#x}), seed {}\n",
                   args.bus_a, bus_a->max_frame(), args.bus_b, bus_b->max_frame(),
                   impair::format_netem(settings.a_to_b), sender_ab,
                   impair::format_netem(settings.b_to_a), sender_ba, seed);
        std::fflush(stderr);
    }

    auto& stop = shmif::tool::stop_requested;
    std::thread thread_ab([&] { a_to_b.run(stop); });
    std::thread thread_ba([&] { b_to_a.run(stop); });
    int status = exit_ok;
    if ((args.cpu_a_to_b && !pin(thread_ab, *args.cpu_a_to_b, "a-to-b")) ||
        (args.cpu_b_to_a && !pin(thread_ba, *args.cpu_b_to_a, "b-to-a"))) {
        stop.store(1);
        status = exit_failure;
    }

    const timespec tick{.tv_sec = 0, .tv_nsec = 200'000'000};
    while (stop.load() == 0) {
        const int sig = ::sigtimedwait(&signals, nullptr, &tick);
        if (sig == SIGINT || sig == SIGTERM) {
            stop.store(1);
        } else if (sig == SIGUSR1) {
            const auto sa = a_to_b.snapshot(std::chrono::seconds(1));
            const auto sb = b_to_a.snapshot(std::chrono::seconds(1));
            if (sa && sb)
                print_stats(a_to_b, *sa, b_to_a, *sb);
            else
                fmt::print(stderr, "shmiflink: SIGUSR1: a pump did not answer within 1 s\n");
        } else if (sig == SIGHUP) {
            if (args.impair_file.empty()) {
                fmt::print(stderr, "shmiflink: SIGHUP: no --impair-file to re-read\n");
                continue;
            }
            auto next = read_impair_file(args.impair_file, flags);
            if (!next) {
                fmt::print(stderr, "shmiflink: {} (settings unchanged)\n", next.error());
                continue;
            }
            fmt::print(stderr, "shmiflink: {}: read: a-to-b '{}', b-to-a '{}'\n", args.impair_file,
                       impair::format_netem(next->a_to_b), impair::format_netem(next->b_to_a));
            a_to_b.configure(next->a_to_b);
            b_to_a.configure(next->b_to_a);
        }
    }
    thread_ab.join();
    thread_ba.join();
    const DirectionStats sa = a_to_b.stats();
    const DirectionStats sb = b_to_a.stats();
    print_stats(a_to_b, sa, b_to_a, sb);
    if (args.json) {
        const nlohmann::json j{{"a_to_b", stats_json(sa)}, {"b_to_a", stats_json(sb)}};
        fmt::print("{}\n", j.dump());
    }
    return status;
}

}  // namespace

int main_(int argc, char** argv) {
    CLI::App app{
        "shmiflink: join two shmif buses through netem-style impairments (delay, loss, "
        "duplication, corruption, reordering, rate), one thread per direction",
        "shmiflink"};
    app.footer(kFooter);
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return fmt::format("shmiflink: {} (see --help)\n", e.what());
    });
    shmif::tool::add_version_flag(app);
    Args args;
    app.add_option("BUS_A", args.bus_a, "Path of the first bus file (must exist)")->required();
    app.add_option("BUS_B", args.bus_b, "Path of the second bus file (must exist)")->required();
    app.add_option("--seed", args.seed,
                   "Seed of a-to-b's random decisions; b-to-a uses seed + 1; a NETEM 'seed' "
                   "wins (default: random, printed at start)");
    app.add_option("--both", args.both, "NETEM for both directions");
    app.add_option("--a-to-b", args.a_to_b, "NETEM for frames from BUS_A to BUS_B");
    app.add_option("--b-to-a", args.b_to_a, "NETEM for frames from BUS_B to BUS_A");
    app.add_option("--impair-file", args.impair_file,
                   "Rules 'a-to-b|b-to-a|both: NETEM', read at start (wins over the flags) and "
                   "on SIGHUP");
    app.add_option("--cpu-a-to-b", args.cpu_a_to_b, "Pin the a-to-b thread to this CPU")
        ->check(CLI::Range(0, CPU_SETSIZE - 1));
    app.add_option("--cpu-b-to-a", args.cpu_b_to_a, "Pin the b-to-a thread to this CPU")
        ->check(CLI::Range(0, CPU_SETSIZE - 1));
    app.add_option("--batch", args.batch, "Frames per receive and per send batch")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    app.add_option("--spin-us", args.spin_us,
                   "Microseconds a pump polls an idle bus before it sleeps (0: sleep at once)")
        ->check(CLI::Range(0, 10'000'000))
        ->capture_default_str();
    app.add_flag("--json", args.json, "At exit also print the counters as JSON on stdout");
    app.add_flag("-q,--quiet", args.quiet, "No start-up line (counters still print)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);
        return status == 0 ? exit_ok : exit_usage;
    }

    const auto both = parse_option("--both", args.both, {});
    if (!both) {
        fmt::print(stderr, "shmiflink: {}\n", both.error());
        return exit_usage;
    }
    const auto ab = parse_option("--a-to-b", args.a_to_b, *both);
    const auto ba = parse_option("--b-to-a", args.b_to_a, *both);
    for (const auto* r : {&ab, &ba}) {
        if (!*r) {
            fmt::print(stderr, "shmiflink: {}\n", r->error());
            return exit_usage;
        }
    }
    const LinkSettings flags{*ab, *ba};
    LinkSettings settings = flags;
    if (!args.impair_file.empty()) {
        auto read = read_impair_file(args.impair_file, flags);
        if (!read) {
            fmt::print(stderr, "shmiflink: {}\n", read.error());
            return exit_usage;
        }
        settings = *read;
    }
    std::error_code ec;
    if (std::filesystem::equivalent(args.bus_a, args.bus_b, ec)) {
        fmt::print(stderr, "shmiflink: BUS_A and BUS_B are the same file ({}): nothing to join\n",
                   args.bus_a);
        return exit_usage;
    }
    const std::uint64_t seed = args.seed ? *args.seed : std::random_device{}();
    return run(args, flags, settings, seed);
}

}  // namespace shmiflink

int main(int argc, char** argv) {
    return shmiflink::main_(argc, argv);
}
