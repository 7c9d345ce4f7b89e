#include "tcp/sack_scoreboard.hpp"

#include "tcp/seq.hpp"

namespace netstack::tcp {

SackScoreboard::Update SackScoreboard::update(std::uint32_t una, std::uint32_t end,
                                              std::span<const wire::TcpSackBlock> blocks) {
    advance(una);
    Update result;
    const std::uint64_t before = sacked_bytes();
    for (const auto& block : blocks) {
        // RFC 2883: a block below the cumulative ACK is a D-SACK (a duplicate arrived);
        // one beyond what we sent, empty or reversed is malformed. Neither says what to
        // retransmit.
        if (!seq_lt(block.left, block.right) || seq_lt(block.left, una) ||
            seq_gt(block.right, end)) {
            ++result.invalid;
            continue;
        }
        ++result.valid;
        insert({block.left, block.right});
    }
    result.newly_sacked = static_cast<std::uint32_t>(sacked_bytes() - before);
    return result;
}

void SackScoreboard::advance(std::uint32_t una) {
    std::size_t keep = 0;
    for (std::size_t i = 0; i < count_; ++i) {
        Range r = ranges_[i];
        if (seq_le(r.right, una)) continue;
        if (seq_lt(r.left, una)) r.left = una;
        ranges_[keep++] = r;
    }
    count_ = keep;
}

void SackScoreboard::insert(Range r) {
    std::array<Range, max_ranges + 1> merged{};
    std::size_t n = 0;
    bool placed = false;
    for (std::size_t i = 0; i < count_; ++i) {
        const Range& e = ranges_[i];
        if (seq_lt(e.right, r.left)) {
            merged[n++] = e;  // wholly below, not touching
        } else if (seq_lt(r.right, e.left)) {
            if (!placed) {
                merged[n++] = r;
                placed = true;
            }
            merged[n++] = e;  // wholly above
        } else {
            // Overlapping or adjacent: one range.
            if (seq_lt(e.left, r.left)) r.left = e.left;
            if (seq_gt(e.right, r.right)) r.right = e.right;
        }
    }
    if (!placed) merged[n++] = r;
    if (n > max_ranges) n = max_ranges;  // the highest is forgotten
    for (std::size_t i = 0; i < n; ++i)
        ranges_[i] = merged[i];
    count_ = n;
}

std::optional<SackScoreboard::Range> SackScoreboard::range_at(std::uint32_t seq) const {
    for (std::size_t i = 0; i < count_; ++i)
        if (seq_in(seq, ranges_[i].left, ranges_[i].right)) return ranges_[i];
    return std::nullopt;
}

std::uint32_t SackScoreboard::next_sacked(std::uint32_t seq, std::uint32_t limit) const {
    for (std::size_t i = 0; i < count_; ++i)
        if (seq_gt(ranges_[i].left, seq))
            return seq_lt(ranges_[i].left, limit) ? ranges_[i].left : limit;
    return limit;
}

std::uint32_t SackScoreboard::highest(std::uint32_t una) const {
    return count_ == 0 ? una : ranges_[count_ - 1].right;
}

std::uint64_t SackScoreboard::sacked_bytes() const {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < count_; ++i)
        total += ranges_[i].right - ranges_[i].left;
    return total;
}

std::uint64_t SackScoreboard::sacked_below(std::uint32_t seq) const {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < count_ && seq_lt(ranges_[i].left, seq); ++i)
        total += (seq_lt(ranges_[i].right, seq) ? ranges_[i].right : seq) - ranges_[i].left;
    return total;
}

std::uint32_t SackScoreboard::lost_edge(std::uint32_t una, std::uint32_t smss) const {
    // Every unSACKed sequence number lies between ranges, so it sees whole ranges above
    // it: walk down from the highest until the ranges above say "lost".
    std::uint64_t bytes = 0, segments = 0;
    for (std::size_t i = count_; i-- > 0;) {
        const std::uint32_t len = ranges_[i].right - ranges_[i].left;
        bytes += len;
        segments += (len + std::uint64_t{smss} - 1) / smss;
        if (segments >= dup_thresh || bytes > std::uint64_t{dup_thresh - 1} * smss)
            return ranges_[i].left;
    }
    return una;
}

}  // namespace netstack::tcp
