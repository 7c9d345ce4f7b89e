// The sender's SACK scoreboard (RFC 6675 2 and 3): which parts of the unacknowledged data
// [SND.UNA, SND.MAX) the peer reported holding, as a small sorted set of disjoint ranges.
// Each ACK's blocks (at most 4) are merged in; ranges below SND.UNA are dropped as the
// cumulative ACK passes them. Bounded: when more disjoint ranges arrive than fit, the
// highest is forgotten (that data only looks unSACKed, which costs at most a needless
// retransmission). Blocks that are empty, reversed, D-SACKs (RFC 2883: below the
// cumulative ACK) or outside what was sent are ignored and counted by the caller.
//
// On it RFC 6675's IsLost(): a sequence number is lost when DupThresh (3) discontiguous
// SACKed segments, or more than (DupThresh - 1) * SMSS SACKed bytes, lie above it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "wire/tcp.hpp"

namespace netstack::tcp {

class SackScoreboard {
  public:
    struct Range {
        std::uint32_t left = 0;   // first SACKed sequence number
        std::uint32_t right = 0;  // the one after the last
    };
    static constexpr std::size_t max_ranges = 32;
    static constexpr std::uint32_t dup_thresh = 3;  // RFC 6675's DupThresh

    struct Update {
        std::uint32_t valid = 0;         // blocks taken
        std::uint32_t invalid = 0;       // ignored (D-SACK, outside [una, end), malformed)
        std::uint32_t newly_sacked = 0;  // bytes not SACKed before
    };

    // Merges an ACK's blocks; `una` is the ACK's cumulative acknowledgment (ranges below it
    // are dropped first) and `end` the end of the data sent (SND.MAX, less a sent FIN).
    Update update(std::uint32_t una, std::uint32_t end, std::span<const wire::TcpSackBlock> blocks);
    // The cumulative ACK moved to `una`: forget what is below it.
    void advance(std::uint32_t una);
    void clear() { count_ = 0; }

    bool empty() const { return count_ == 0; }
    std::span<const Range> ranges() const { return {ranges_.data(), count_}; }
    // The SACKed range holding `seq`, if any.
    std::optional<Range> range_at(std::uint32_t seq) const;
    // The left edge of the first SACKed range above `seq`, or `limit` if none is below it.
    std::uint32_t next_sacked(std::uint32_t seq, std::uint32_t limit) const;
    // The end of the highest SACKed range (RFC 6675's "highest octet SACKed" + 1); `una`
    // when nothing is SACKed.
    std::uint32_t highest(std::uint32_t una) const;
    std::uint64_t sacked_bytes() const;
    // SACKed bytes below `seq`.
    std::uint64_t sacked_below(std::uint32_t seq) const;
    // RFC 6675 IsLost() as a boundary: every unSACKed sequence number below the returned
    // one is lost, none at or above it. `una` when nothing is lost.
    std::uint32_t lost_edge(std::uint32_t una, std::uint32_t smss) const;

  private:
    void insert(Range r);
    std::array<Range, max_ranges> ranges_{};
    std::size_t count_ = 0;
};

}  // namespace netstack::tcp
