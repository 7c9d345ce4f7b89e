// Cursor on the NetBSD format: every read happens under the bus lock, as in NetBSD's driver.
// Positions are linear (generation * data size + offset), see netbsd_ring.hpp.
#include <algorithm>
#include <cstring>

#include "bus_impl.hpp"
#include "lock.hpp"
#include "netbsd_ring.hpp"
#include "shmif/cursor.hpp"

namespace shmif {

namespace {

constexpr std::uint64_t kFrameHeader = sizeof(netbsd::FrameHeader);

struct Walk {
    std::uint64_t pos;
    CursorStats stats;
    std::size_t count = 0;
};

// Under the lock: resynchronises an overrun or stray position, then walks frames up to
// `max` delivered ones, calling on_frame(header, payload_pos) for each.
template <class OnFrame>
void walk_frames(Bus::Impl& bus, std::size_t max, std::uint64_t skip_sender, Walk& walk,
                 OnFrame&& on_frame) {
    auto s = netbsd::span(bus);
    if (!s) {
        netbsd::reset(bus);  // we hold the lock, so we may repair
        ++walk.stats.corrupt;
        s = netbsd::span(bus);
    }
    if (walk.pos > s->write) {
        ++walk.stats.corrupt;  // the ring was reset or recreated behind us
        walk.pos = s->write;
    }
    if (walk.pos < s->oldest) {
        ++walk.stats.overruns;
        walk.stats.lost_bytes += s->oldest - walk.pos;
        walk.pos = s->oldest;
    }
    while (walk.pos < s->write && walk.count < max) {
        const netbsd::FrameHeader fh = netbsd::header_at(bus, walk.pos);
        const std::uint64_t total = kFrameHeader + fh.len;
        if (fh.len >= netbsd::kDataSize - kFrameHeader || walk.pos + total > s->write) {
            ++walk.stats.corrupt;  // a length that does not chain up to the newest frame
            walk.pos = s->write;
            break;
        }
        if (fh.len > 0) {
            if (skip_sender != 0 && fh.sender == skip_sender) {
                ++walk.stats.skipped_own;
            } else {
                on_frame(fh, (walk.pos + kFrameHeader) % netbsd::kDataSize);
                ++walk.count;
                ++walk.stats.frames;
                walk.stats.bytes += fh.len;
            }
        }
        walk.pos += total;
    }
}

std::uint64_t stamp_ns(const netbsd::FrameHeader& fh) {
    return std::uint64_t{fh.sec} * 1'000'000'000ULL + std::uint64_t{fh.usec} * 1000ULL;
}

}  // namespace

std::size_t Cursor::receive_netbsd(std::span<Frame> out) {
    if (!lock_netbsd()) return 0;
    Walk walk{pos_, stats_};
    std::size_t i = 0;
    walk_frames(*bus_, out.size(), opts_.skip_sender, walk,
                [&](const netbsd::FrameHeader& fh, std::uint64_t payload_off) {
                    Frame& f = out[i++];
                    const std::size_t n = std::min<std::size_t>(fh.len, f.capacity);
                    netbsd::ring_read(*bus_, payload_off, f.data, n);
                    f.len = n;
                    f.orig_len = fh.len;
                    f.sender = fh.sender;
                    f.time_ns = stamp_ns(fh);
                    if (n < fh.len) ++walk.stats.truncated;
                });
    netbsd_unlock(*bus_->bh);
    pos_ = walk.pos;
    stats_ = walk.stats;
    return walk.count;
}

std::size_t Cursor::peek_netbsd(std::span<FrameView> out) {
    if (!lock_netbsd()) return 0;
    Walk walk{pos_, stats_};
    // Copies, because a NetBSD frame may wrap and may only be read under the lock.
    struct Pending {
        std::size_t offset;
        netbsd::FrameHeader fh;
    };
    std::vector<Pending> pending;
    peek_buf_.clear();
    walk_frames(*bus_, out.size(), opts_.skip_sender, walk,
                [&](const netbsd::FrameHeader& fh, std::uint64_t payload_off) {
                    const std::size_t at = peek_buf_.size();
                    peek_buf_.resize(at + fh.len);
                    netbsd::ring_read(*bus_, payload_off, peek_buf_.data() + at, fh.len);
                    pending.push_back({at, fh});
                    peek_marks_.push_back({walk.pos + kFrameHeader + fh.len, 0, walk.stats});
                    auto& st = peek_marks_.back().stats;
                    ++st.frames;
                    st.bytes += fh.len;
                });
    netbsd_unlock(*bus_->bh);
    for (std::size_t i = 0; i < pending.size(); ++i) {
        FrameView& v = out[i];
        v.data =
            std::span<const std::byte>(peek_buf_.data() + pending[i].offset, pending[i].fh.len);
        v.sender = pending[i].fh.sender;
        v.time_ns = stamp_ns(pending[i].fh);
        v.seq = 0;
        v.pos = peek_marks_[i].next_pos - kFrameHeader - pending[i].fh.len;
    }
    if (walk.count == 0) {
        pos_ = walk.pos;  // nothing to hand out: take the resync and skips now
        stats_ = walk.stats;
    }
    return walk.count;
}

}  // namespace shmif
