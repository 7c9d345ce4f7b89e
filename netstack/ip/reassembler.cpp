#include "ip/reassembler.hpp"

#include <algorithm>

namespace netstack::ip {

using wire::Bytes;

std::optional<std::vector<std::byte>> Reassembler::add(Bytes packet, const wire::Ipv4Repr& repr,
                                                       Instant now, bool no_icmp_errors) {
    ++stats_.frag_received;
    wire::Ipv4View view(packet);
    const Bytes data = view.payload();
    const std::size_t offset = repr.frag_offset;

    // RFC 791: every fragment but the last carries a multiple of 8 bytes.
    if (repr.more_fragments && (data.empty() || data.size() % 8 != 0)) {
        ++stats_.drop_bad_total_len;
        return std::nullopt;
    }
    // Fragment 0's header (later fragments may carry fewer options) starts the reassembled
    // datagram and counts towards its total length; its first 8 data bytes are kept for a
    // time exceeded to quote (RFC 792).
    std::optional<FirstFragment> first;
    if (offset == 0) {
        const std::size_t header_len = view.header_len();
        const std::size_t quoted = header_len + std::min<std::size_t>(8, data.size());
        first = FirstFragment{
            .bytes = {packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(quoted)},
            .head_len = header_len,
            .counted_len = header_len};
    }
    const FragmentKey key{repr.src, repr.dst, repr.ident, repr.protocol};
    auto added =
        table_.add(key, offset, data, repr.more_fragments, std::move(first), no_icmp_errors, now);
    switch (added.outcome) {
        case FragmentTable::Outcome::held:
        case FragmentTable::Outcome::duplicate:
            return std::nullopt;
        case FragmentTable::Outcome::overlap:
            ++stats_.frag_overlap;
            return std::nullopt;
        case FragmentTable::Outcome::too_big:
            ++stats_.frag_too_big;
            return std::nullopt;
        case FragmentTable::Outcome::memory_limit:
            ++stats_.frag_memory_limit;
            return std::nullopt;
        case FragmentTable::Outcome::complete:
            break;
    }
    ++stats_.frag_reassembled;
    auto& out = added.packet;
    wire::Ipv4View whole{wire::MutableBytes(out)};
    whole.set_total_len(static_cast<std::uint16_t>(out.size()));
    whole.set_flags_frag(whole.dont_fragment(), false, 0);
    whole.fill_checksum();
    return std::move(out);
}

void Reassembler::poll(Instant now, std::vector<std::vector<std::byte>>& expired_first) {
    stats_.frag_timeout += table_.poll(now, [&](FragmentTable::Datagram& d) {
        // RFC 1122 3.2.2: no ICMP error about a datagram sent to a broadcast.
        if (d.first && !d.no_icmp_errors) expired_first.push_back(std::move(d.first->bytes));
    });
}

}  // namespace netstack::ip
