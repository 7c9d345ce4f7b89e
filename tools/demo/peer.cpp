#include "peer.hpp"

#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "ethernet.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"

namespace demo {
namespace {

using clock = std::chrono::steady_clock;

constexpr std::size_t kSendBatch = 16;
constexpr std::size_t kReceiveBatch = 64;

bool write_all(int fd, const void* data, std::size_t len) {
    const auto* p = static_cast<const char*>(data);
    while (len > 0) {
        const ssize_t n = ::write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        len -= static_cast<std::size_t>(n);
    }
    return true;
}

// Waits for EOF on the start pipe; false on timeout.
bool wait_for_start(int go_fd, std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0) return false;
        ::pollfd pfd{go_fd, POLLIN, 0};
        const int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        char byte = 0;
        const ssize_t n = ::read(go_fd, &byte, 1);
        if (n == 0) return true;  // the parent closed its end: go
        if (n < 0 && errno != EINTR) return false;
    }
}

// The bookkeeping for everything received.
class Tally {
  public:
    Tally(const PeerConfig& cfg, PeerReport& report)
        : cfg_(cfg), report_(report), seen_(cfg.procs), bitmaps_(cfg.procs), final_(cfg.procs) {
        for (unsigned i = 0; i < cfg.procs; ++i) {
            seen_[i].peer = i;
            if (i != cfg.index) bitmaps_[i].assign(cfg.frames, false);
        }
    }

    void add(const shmif::Frame& frame) {
        ++report_.received;
        const auto parsed = parse_frame({frame.data, frame.len});
        if (!parsed || parsed->payload.index >= cfg_.procs) {
            ++report_.foreign;
            return;
        }
        const std::uint32_t from = parsed->payload.index;
        if (from == cfg_.index) {
            ++report_.own_seen;
            return;
        }
        if (!parsed->filler_ok) {
            ++report_.torn;
            return;
        }
        PeerSeen& s = seen_[from];
        const Mac mac = peer_mac(from);
        if (frame.sender != mac.as_u64() || parsed->src != mac) ++s.wrong_sender;
        s.pid = parsed->payload.pid;
        const std::uint64_t seq = parsed->payload.seq;
        if (seq >= cfg_.frames) {
            ++s.bad_seq;
            return;
        }
        if (s.received == 0) s.first = seq;
        if (s.received > 0 && seq < s.last) ++s.reordered;
        s.last = std::max(s.last, seq);
        ++s.received;
        if (bitmaps_[from][seq]) {
            ++s.duplicates;
        } else {
            bitmaps_[from][seq] = true;
            ++s.distinct;
        }
        if (seq + 1 == cfg_.frames && !final_[from]) {
            final_[from] = true;
            ++peers_finished_;
        }
    }

    // Every other peer's final frame has arrived (nothing more is coming).
    bool complete() const { return peers_finished_ + 1 >= cfg_.procs; }
    const std::vector<PeerSeen>& seen() const { return seen_; }

  private:
    const PeerConfig& cfg_;
    PeerReport& report_;
    std::vector<PeerSeen> seen_;
    std::vector<std::vector<bool>> bitmaps_;  // [peer][seq]: received
    std::vector<bool> final_;                 // [peer]: its last frame arrived
    unsigned peers_finished_ = 0;
};

void finish(const PeerConfig& cfg, PeerReport& report, const std::vector<PeerSeen>& seen) {
    if (!write_all(cfg.result_fd, &report, sizeof report)) return;
    for (const auto& s : seen)
        write_all(cfg.result_fd, &s, sizeof s);
}

void set_error(PeerReport& report, const std::string& text) {
    std::snprintf(report.error, sizeof report.error, "%s", text.c_str());
}

}  // namespace

int run_peer(const PeerConfig& cfg) {
    PeerReport report;
    report.index = cfg.index;
    report.pid = static_cast<std::uint32_t>(::getpid());
    std::vector<PeerSeen> seen(cfg.procs);

    auto bus = shmif::Bus::open(cfg.bus_path);
    if (!bus) {
        set_error(report, fmt::format("cannot attach: {}", shmif::describe(bus.error())));
        finish(cfg, report, seen);
        return 1;
    }
    report.attached = true;
    const Mac mac = peer_mac(cfg.index);
    shmif::Writer writer(*bus, {.sender = mac.as_u64()});
    // Created before we say we are ready, so it sees every frame sent after the start.
    shmif::Cursor cursor(*bus, {.skip_sender = mac.as_u64(), .start = shmif::StartAt::next});
    Tally tally(cfg, report);

    const char ready = 'R';
    write_all(cfg.ready_fd, &ready, 1);
    ::close(cfg.ready_fd);
    if (!wait_for_start(cfg.go_fd, cfg.timeout)) {
        set_error(report, "no start signal from the parent");
        finish(cfg, report, tally.seen());
        return 1;
    }
    report.started = true;

    // Send buffers: one batch of frames, rebuilt in place.
    std::vector<std::byte> out_storage(kSendBatch * cfg.frame_len);
    std::vector<shmif::FrameBytes> out(kSendBatch);
    // Receive buffers: whole Ethernet frames.
    std::vector<std::byte> in_storage(kReceiveBatch * kMaxFrame);
    std::vector<shmif::Frame> in(kReceiveBatch);
    for (std::size_t i = 0; i < kReceiveBatch; ++i) {
        in[i].data = in_storage.data() + i * kMaxFrame;
        in[i].capacity = kMaxFrame;
    }

    const auto start = clock::now();
    const auto deadline = start + cfg.timeout;
    auto last_activity = start;
    std::uint64_t seq = 0;
    for (;;) {
        const auto now = clock::now();
        if (now >= deadline) {
            report.timed_out = true;
            break;
        }
        if (seq < cfg.frames) {
            // Send a batch, under one lock and one wake-up.
            const std::size_t n =
                static_cast<std::size_t>(std::min<std::uint64_t>(kSendBatch, cfg.frames - seq));
            for (std::size_t i = 0; i < n; ++i) {
                std::span<std::byte> slot(out_storage.data() + i * cfg.frame_len, cfg.frame_len);
                build_frame(slot, mac, {cfg.index, report.pid, seq + i});
                out[i] = slot;
            }
            auto sent = writer.send_batch({out.data(), n});
            if (sent) {
                seq += *sent;
                report.sent += *sent;
                if (*sent < n) {  // rejected as too large: nothing later will fit either
                    set_error(report, "frames rejected as too large for the bus");
                    break;
                }
            } else {
                ++report.send_errors;
            }
            // Then take whatever has arrived, without waiting.
            const std::size_t got = cursor.receive(in);
            for (std::size_t i = 0; i < got; ++i)
                tally.add(in[i]);
            if (got > 0) last_activity = clock::now();
            if (seq == cfg.frames) last_activity = clock::now();
            continue;
        }
        if (tally.complete()) {
            report.complete = true;
            break;
        }
        if (now - last_activity >= cfg.idle) break;  // silence: whatever is missing is lost
        const auto wait = std::min<clock::duration>(deadline - now, std::chrono::milliseconds(50));
        auto got = cursor.receive_wait(in, wait);
        if (got) {
            for (std::size_t i = 0; i < *got; ++i)
                tally.add(in[i]);
            last_activity = clock::now();
        }
    }
    report.seconds = std::chrono::duration<double>(clock::now() - start).count();

    const auto& stats = cursor.stats();
    report.overruns = stats.overruns;
    report.lost_frames = stats.lost_frames;
    report.lost_bytes = stats.lost_bytes;
    report.skipped_own = stats.skipped_own;
    report.corrupt = stats.corrupt;
    finish(cfg, report, tally.seen());

    bool ok =
        report.complete && report.sent == cfg.frames && report.own_seen == 0 && report.torn == 0;
    for (const auto& s : tally.seen()) {
        if (s.peer == cfg.index) continue;
        ok = ok && s.distinct == cfg.frames && s.duplicates == 0 && s.bad_seq == 0 &&
             s.wrong_sender == 0;
    }
    return ok ? 0 : 1;
}

}  // namespace demo
