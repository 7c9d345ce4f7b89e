// shmifbus stat: follow a bus like any reader and report its traffic per interval.
//
// The cursor starts at the commit point (StartAt::next), so it reports what is sent while it
// watches, and is overrun, as any slow reader would be, if it cannot keep up. Frames are
// copied out truncated to a few bytes: only their count and length matter here.
#include <csignal>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "shmif/cursor.hpp"
#include "stop_signals.hpp"

namespace shmifbus {
namespace {

struct Sample {
    double t = 0;          // seconds since the start, at the end of the interval
    double seconds = 0;    // length of the interval
    bool partial = false;  // cut short by SIGINT/SIGTERM
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
    std::uint64_t overruns = 0;
    std::uint64_t lost_frames = 0;
    std::uint64_t lost_bytes = 0;
};

Sample delta(const shmif::CursorStats& now, const shmif::CursorStats& then) {
    Sample s;
    s.frames = now.frames - then.frames;
    s.bytes = now.bytes - then.bytes;
    s.overruns = now.overruns - then.overruns;
    s.lost_frames = now.lost_frames - then.lost_frames;
    s.lost_bytes = now.lost_bytes - then.lost_bytes;
    return s;
}

double per_second(std::uint64_t count, double seconds) {
    return seconds > 0 ? static_cast<double>(count) / seconds : 0.0;
}

void print_header(bool netbsd) {
    fmt::print("{:>9} {:>12} {:>14} {:>10} {:>9} {:>12}\n", "time(s)", "frames/s", "bytes/s",
               "Mbit/s", "overruns", netbsd ? "lost bytes" : "lost frames");
}

void print_sample(const Sample& s, bool netbsd, bool json) {
    const double fps = per_second(s.frames, s.seconds);
    const double bps = per_second(s.bytes, s.seconds);
    const double mbit = bps * 8.0 / 1e6;
    if (json) {
        nlohmann::ordered_json j{
            {"time_s", s.t},
            {"interval_s", s.seconds},
            {"frames", s.frames},
            {"bytes", s.bytes},
            {"frames_per_s", fps},
            {"bytes_per_s", bps},
            {"mbit_per_s", mbit},
            {"overruns", s.overruns},
            {"lost_frames",
             netbsd ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s.lost_frames)},
            {"lost_bytes", s.lost_bytes},
            {"partial", s.partial},
        };
        fmt::print("{}\n", j.dump());
    } else {
        fmt::print("{:>9.3f} {:>12.0f} {:>14.0f} {:>10.2f} {:>9} {:>12}{}\n", s.t, fps, bps, mbit,
                   s.overruns, netbsd ? s.lost_bytes : s.lost_frames,
                   s.partial ? "  (partial)" : "");
    }
    std::fflush(stdout);
}

}  // namespace

int run_stat(const StatArgs& args) {
    using clock = std::chrono::steady_clock;
    auto bus = shmif::Bus::open(args.bus);
    if (!bus) return fail(args.bus, bus.error());
    const bool netbsd = bus->format() == shmif::Format::netbsd;

    shmif::tool::install_stop_handlers();
    shmif::Cursor cursor(*bus, {.skip_sender = 0, .start = shmif::StartAt::next});

    constexpr std::size_t kBatch = 64;
    constexpr std::size_t kKeep = 16;  // bytes copied per frame; the length comes from orig_len
    std::array<std::byte, kBatch * kKeep> storage{};
    std::vector<shmif::Frame> frames(kBatch);
    for (std::size_t i = 0; i < kBatch; ++i) {
        frames[i].data = storage.data() + i * kKeep;
        frames[i].capacity = kKeep;
    }

    if (!args.json) {
        fmt::print("following {} ({} format) every {} s; Ctrl-C stops\n", args.bus,
                   shmif::format_name(bus->format()), args.interval_s);
        print_header(netbsd);
        std::fflush(stdout);
    }
    const auto interval =
        std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(args.interval_s));
    // Short waits, so a signal or the end of an interval is noticed within this long even
    // when the bus is silent (the wait sleeps on a futex or inotify, not on the CPU).
    constexpr auto kMaxWait = std::chrono::milliseconds(100);

    const auto start = clock::now();
    auto last_tick = start;
    auto next_tick = start + interval;
    shmif::CursorStats last = cursor.stats();
    std::uint64_t printed = 0;
    auto report = [&](clock::time_point now, bool partial) {
        Sample s = delta(cursor.stats(), last);
        s.t = std::chrono::duration<double>(now - start).count();
        s.seconds = std::chrono::duration<double>(now - last_tick).count();
        s.partial = partial;
        print_sample(s, netbsd, args.json);
    };
    while (shmif::tool::stop_requested == 0 && (args.count == 0 || printed < args.count)) {
        const auto now = clock::now();
        if (now >= next_tick) {
            report(now, false);
            ++printed;
            last = cursor.stats();
            last_tick = now;
            next_tick += interval;
            if (next_tick < now) next_tick = now + interval;  // we were suspended: skip ahead
            continue;
        }
        const auto wait = std::min<clock::duration>(next_tick - now, kMaxWait);
        (void)cursor.receive_wait(frames, wait);  // timed_out is the normal idle case
    }
    // Stopped by a signal: report the unfinished interval too, so no frame seen goes
    // uncounted (its rates are over the shorter time).
    if (shmif::tool::stop_requested != 0) report(clock::now(), true);
    return exit_ok;
}

}  // namespace shmifbus
