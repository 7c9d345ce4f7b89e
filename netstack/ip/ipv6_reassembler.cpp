#include "ip/ipv6_reassembler.hpp"

#include <algorithm>

namespace netstack::ip {

using wire::Bytes;

namespace {

constexpr std::size_t header_len = 40;  // the fixed IPv6 header (RFC 8200 3)
constexpr std::size_t payload_len_at = 4;
constexpr std::size_t max_payload_len = 65535;

// The Fragment header of fragment 0 (RFC 8200 4.5): Next Header, reserved, offset 0 with M
// set, Identification. Rebuilt for the time exceeded quote; the reserved bits read as zero.
void append_fragment_header(std::vector<std::byte>& out, std::uint8_t next_header,
                            std::uint32_t ident) {
    const std::uint8_t bytes[8] = {next_header,
                                   0,
                                   0,
                                   1,
                                   static_cast<std::uint8_t>(ident >> 24),
                                   static_cast<std::uint8_t>(ident >> 16),
                                   static_cast<std::uint8_t>(ident >> 8),
                                   static_cast<std::uint8_t>(ident)};
    for (auto b : bytes)
        out.push_back(std::byte{b});
}

// The reassembled packet's header: the byte that named the Fragment header names what
// followed it, and Payload Length covers everything after the fixed header.
void fix_header(std::vector<std::byte>& packet, std::size_t next_header_at,
                std::uint8_t next_header) {
    packet[next_header_at] = std::byte{next_header};
    const std::size_t payload = packet.size() - header_len;
    packet[payload_len_at] = std::byte(static_cast<std::uint8_t>(payload >> 8));
    packet[payload_len_at + 1] = std::byte(static_cast<std::uint8_t>(payload));
}

}  // namespace

Ipv6Reassembler::Ipv6Reassembler(const ReassemblyConfig& config, Ipv6Stats& stats)
    : table_(config, {.overlaps = OverlapRule::duplicates_only,
                      .max_len = max_payload_len,
                      .counted_before_first = 0}),
      stats_(stats) {}

std::expected<std::optional<std::vector<std::byte>>, Ipv6Reassembler::Error> Ipv6Reassembler::add(
    const Fragment& f, Instant now, bool no_icmp_errors) {
    ++stats_.frag_received;
    // The caller's header walk guarantees these; checked so that a wrong caller cannot make
    // fix_header write past the end.
    if (f.unfragmentable.size() < header_len || f.next_header_at >= f.unfragmentable.size())
        return std::nullopt;
    // RFC 8200 4.5: every fragment but the last carries a multiple of 8 bytes.
    if (f.more && (f.data.empty() || f.data.size() % 8 != 0)) {
        ++stats_.frag_bad_length;
        return std::unexpected(Error::bad_length);
    }
    const std::size_t counted = f.unfragmentable.size() - header_len;

    if (f.offset == 0 && !f.more) {
        // RFC 6946: an atomic fragment is a whole packet; it is not reassembled with others.
        if (counted + f.data.size() > max_payload_len) {
            ++stats_.frag_too_big;
            return std::unexpected(Error::too_big);
        }
        ++stats_.frag_atomic;
        std::vector<std::byte> packet(f.unfragmentable.begin(), f.unfragmentable.end());
        packet.insert(packet.end(), f.data.begin(), f.data.end());
        fix_header(packet, f.next_header_at, f.next_header);
        return packet;
    }

    // Fragment 0 gives the reassembled packet its unfragmentable part and the fragmentable
    // part's first Next Header (RFC 8200 4.5: other fragments' values are not used); the
    // Fragment header is kept after it for the time exceeded quote.
    std::optional<FirstFragment> first;
    if (f.offset == 0) {
        first = FirstFragment{.bytes = {f.unfragmentable.begin(), f.unfragmentable.end()},
                              .head_len = f.unfragmentable.size(),
                              .counted_len = counted,
                              .mark = f.next_header_at};
        append_fragment_header(first->bytes, f.next_header, f.ident);
    }
    const FragmentKey key{f.src, f.dst, f.ident, 0};
    auto added = table_.add(key, f.offset, f.data, f.more, std::move(first), no_icmp_errors, now);
    switch (added.outcome) {
        case FragmentTable::Outcome::held:
        case FragmentTable::Outcome::duplicate:
            return std::nullopt;
        case FragmentTable::Outcome::overlap:
            ++stats_.frag_overlap;
            return std::nullopt;
        case FragmentTable::Outcome::too_big:
            ++stats_.frag_too_big;
            return std::unexpected(Error::too_big);
        case FragmentTable::Outcome::memory_limit:
            ++stats_.frag_memory_limit;
            return std::nullopt;
        case FragmentTable::Outcome::complete:
            break;
    }
    ++stats_.frag_reassembled;
    const FirstFragment& kept = added.first;
    fix_header(added.packet, kept.mark, static_cast<std::uint8_t>(kept.bytes[kept.head_len]));
    return std::move(added.packet);
}

void Ipv6Reassembler::poll(Instant now, std::vector<std::vector<std::byte>>& expired_first) {
    stats_.frag_timeout += table_.poll(now, [&](FragmentTable::Datagram& d) {
        // RFC 4443 2.4 (e): no error about a packet sent to a multicast address.
        if (!d.first || d.no_icmp_errors) return;
        // Fragment 0 as received: what was kept of it, then its data, which is the fragment
        // at offset 0 (held fragments never overlap under RFC 5722).
        std::vector<std::byte> quote = std::move(d.first->bytes);
        if (!d.fragments.empty() && d.fragments.front().offset == 0) {
            const auto& data = d.fragments.front().data;
            const std::size_t room = quote_limit - std::min(quote_limit, quote.size());
            quote.insert(quote.end(), data.begin(),
                         data.begin() + static_cast<std::ptrdiff_t>(std::min(room, data.size())));
        }
        if (quote.size() > quote_limit) quote.resize(quote_limit);
        expired_first.push_back(std::move(quote));
    });
}

}  // namespace netstack::ip
