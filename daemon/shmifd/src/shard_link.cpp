#include "shard_link.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "shmif/seqlock_read.hpp"

namespace shmifd {

namespace {
// Frames per receive: as many as the worker's budget per poll (PoolOptions::batch, 32), so
// that one read's frames are one Stack::ReceiveBatch (one ACK, one write) and every socket
// splice moves a read's worth per system call; small enough that the buffers (this many
// maximum-size frames per interface and worker) stay modest. 16 moved a third less through
// programs under shmifrun (iperf3 between two daemons: 5.9-6.8 against 8.2-10.4 Gbit/s).
constexpr std::size_t kBatch = 32;

// Read-ahead: a batch about to be written must leave the cursor half a ring of headroom, for
// whatever other writers put on the bus meanwhile; record headers count kRecordSlack a frame
// (more than any format's).
constexpr std::size_t kRecordSlack = 64;
// The backlog's bound, whatever the ring's size: in slow start the ACKs a busy worker has not
// read yet can outgrow a small ring's worth (200 connections at once on a 2 MiB ring lost
// 5,000-14,000 frames with a bound of one ring). Its memory is taken as frames fill it.
constexpr std::size_t kMaxBacklog = 16 << 20;

// A worker's send must not hold up its receive path, a stop or the control socket for long.
// Native buses: a stalled holder is taken over after 10 ms, a running one after 100 ms, and a
// send that still cannot get the bus gives up then (counted as a drop). NetBSD buses keep the
// library's bounds: their lock names no holder, so only a long wait can tell a dead one.
shmif::WriterOptions writer_options(const shmif::Bus& bus, std::uint64_t sender) {
    shmif::WriterOptions options{.sender = sender};
    if (bus.info().format == shmif::Format::native) {
        options.lock_timeout = std::chrono::milliseconds(100);
        options.stall_bound = std::chrono::milliseconds(10);
        options.busy_bound = std::chrono::milliseconds(100);
    }
    return options;
}
}  // namespace

ShardLink::ShardLink(std::string name, const shmif::Bus& bus, std::uint64_t sender,
                     std::shared_ptr<BusAlarm> alarm, OwnFrames own)
    : name_(std::move(name)),
      bus_(&bus),
      alarm_(std::move(alarm)),
      cursor_(bus, shmif::CursorOptions{.skip_sender = own == OwnFrames::skip ? sender : 0,
                                        .start = shmif::StartAt::next,
                                        .spin = std::chrono::nanoseconds(0)}),
      device_(bus, writer_options(bus, sender)),
      steer_(bus.info().format == shmif::Format::native),
      views_(kBatch),
      backlog_(kMaxBacklog) {
    const std::size_t capacity = bus.max_frame();
    storage_.resize(kBatch * capacity);
    frames_.resize(kBatch);
    for (std::size_t i = 0; i < kBatch; ++i)
        frames_[i] = shmif::Frame{.data = storage_.data() + i * capacity, .capacity = capacity};
    device_.on_health_change(
        [this](const std::optional<shmif::Error>& error) { report_health(error); });
    device_.before_write(
        [this](std::size_t bytes, std::size_t frames) { read_ahead(bytes, frames); });
}

void ShardLink::read_ahead(std::size_t bytes, std::size_t frames) {
    const std::uint64_t ring = bus_->data_size();
    if (cursor_.headroom() >= ring / 2 + bytes + frames * kRecordSlack) return;
    const std::size_t capacity = bus_->max_frame();
    if (!ahead_storage_) {
        ahead_storage_.reset(new std::byte[kBatch * capacity]);
        ahead_frames_.resize(kBatch);
        for (std::size_t i = 0; i < kBatch; ++i)
            ahead_frames_[i] =
                shmif::Frame{.data = ahead_storage_.get() + i * capacity, .capacity = capacity};
    }
    // Everything unread, as far as the backlog surely has room (a frame read and then not
    // kept would be lost here rather than on the bus, uncounted). Bounded: the ring holds at
    // most data_size / kRecordSlack records.
    for (std::uint64_t calls = 0; calls <= ring / kRecordSlack; ++calls) {
        const std::size_t n = std::min(kBatch, backlog_.room() / capacity);
        if (n == 0) break;
        const std::size_t got = cursor_.receive(std::span(ahead_frames_.data(), n));
        if (got == 0) break;
        read_ahead_ += backlog_.push(std::span(ahead_frames_.data(), got));
    }
}

void ShardLink::report_health(const std::optional<shmif::Error>& error) {
    if (error) {
        if (error->code != shmif::Errc::corrupt_header) return;
        // Re-read now: a repair may already have come between the failed send and here.
        const auto problem = bus_->header_problem();
        if (problem && !alarm_->raised.exchange(true))
            spdlog::error(
                "bus {}: header corrupt: {}; every send is refused until "
                "`shmifbus repair {}`",
                bus_->path(), *problem, bus_->path());
    } else if (alarm_->raised.exchange(false)) {
        spdlog::info("bus {}: header valid again; sending resumed", bus_->path());
    }
}

std::span<const shmif::Frame> ShardLink::receive(std::size_t budget, shmif::impair::Instant now,
                                                 const netstack::Stack& stack) {
    const std::size_t n = std::min(budget, kBatch);
    if (!backlog_.empty()) return ingress_.filter(backlog_.pop(n), now);  // older than the bus's
    const std::size_t got = steer_ && stack.config().shard.count > 1
                                ? receive_steered(n, stack)
                                : cursor_.receive(std::span(frames_.data(), n));
    return ingress_.filter({frames_.data(), got}, now);
}

// Every worker reads every frame; while one connection streams jumbo frames, copying them
// all into the workers that do not own it was most of what those did (two workers, 9000-byte
// frames: the stream at half the speed of one worker). A look at the headers decides instead.
std::size_t ShardLink::receive_steered(std::size_t count, const netstack::Stack& stack) {
    const std::size_t seen = cursor_.peek(std::span(views_.data(), count));
    std::size_t kept = 0;
    {
        // Other workers' writers may be lapping what is read here: validated below.
        shmif::SeqlockReadSection in_the_ring;
        for (std::size_t i = 0; i < seen; ++i) {
            const shmif::FrameView& view = views_[i];
            if (stack.owned_elsewhere(id, view.data)) continue;
            shmif::Frame& frame = frames_[kept++];
            const std::size_t len = std::min(view.data.size(), frame.capacity);
            std::memcpy(frame.data, view.data.data(), len);
            frame.len = len;
            frame.orig_len = view.data.size();
            frame.sender = view.sender;
            frame.time_ns = view.time_ns;
        }
    }
    // A writer that lapped the cursor meanwhile may have torn what was judged or copied: read
    // again the plain way, which counts the loss. The oldest view intact vouches for the rest.
    if (seen != 0 && !cursor_.still_valid(views_[0]))
        return cursor_.receive(std::span(frames_.data(), count));
    cursor_.advance(seen);
    passed_ += seen - kept;
    return kept;
}

std::optional<shmif::impair::Instant> ShardLink::next_due() const {
    const auto out = egress_.slot().next_due();
    const auto in = ingress_.slot().next_due();
    if (out && in) return std::min(*out, *in);
    return out ? out : in;
}

bool ShardLink::arm(shmif::Cursor::WaitSpec& spec) {
    if (!backlog_.empty() || !cursor_.arm(spec)) return false;
    armed_ = true;
    return true;
}

void ShardLink::disarm() {
    if (armed_) cursor_.disarm();
    armed_ = false;
}

}  // namespace shmifd
