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
    const std::size_t end = offset + data.size();
    const Key key{repr.src.value, repr.dst.value, repr.protocol, repr.ident};
    auto it = datagrams_.find(key);
    const bool known = it != datagrams_.end();

    // RFC 791: every fragment but the last carries a multiple of 8 bytes.
    if (repr.more_fragments && (data.empty() || data.size() % 8 != 0)) {
        ++stats_.drop_bad_total_len;
        return std::nullopt;
    }
    // RFC 791: the reassembled datagram carries fragment 0's header (later fragments may
    // carry fewer options) and its total length must fit 16 bits. Before fragment 0 came,
    // its header is at least the minimum.
    const std::size_t header_len = offset == 0                          ? view.header_len()
                                   : known && !it->second.first.empty() ? it->second.header_len
                                                                        : wire::ipv4_min_header_len;
    const std::size_t extent = std::max(end, known ? it->second.extent : 0);
    if (header_len + extent > wire::ipv4_max_total_len) {
        ++stats_.frag_too_big;
        if (known) discard(it);
        return std::nullopt;
    }
    if (!known) {
        if (datagrams_.size() >= config_.max_datagrams) {
            ++stats_.frag_memory_limit;
            return std::nullopt;
        }
        it = datagrams_.emplace(key, Datagram{.deadline = now + config_.timeout}).first;
    }
    Datagram& d = it->second;

    // The end of the datagram is fixed once; fragments past it, or a different end, conflict.
    const bool end_conflict = repr.more_fragments ? (d.end && end > *d.end)
                                                  : ((d.end && *d.end != end) || d.extent > end);
    const Fit fit = end_conflict ? Fit::conflict : check_overlaps(d, offset, data);
    if (fit == Fit::duplicate) return std::nullopt;
    if (fit == Fit::conflict) {
        ++stats_.frag_overlap;
        discard(it);
        return std::nullopt;
    }
    // A datagram that reached its fragment bound cannot take the fragments it still lacks.
    if (d.fragments.size() >= config_.max_fragments_per_datagram) {
        ++stats_.frag_memory_limit;
        discard(it);
        return std::nullopt;
    }
    const std::size_t charge = data.size() + fragment_overhead;
    if (bytes_held_ + charge > config_.max_bytes) {
        ++stats_.frag_memory_limit;
        if (d.fragments.empty()) discard(it);
        return std::nullopt;
    }

    if (!repr.more_fragments) d.end = end;
    if (offset == 0) {
        d.header_len = view.header_len();
        const std::size_t quoted = d.header_len + std::min<std::size_t>(8, data.size());
        d.first.assign(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(quoted));
    }
    d.no_icmp_errors = d.no_icmp_errors || no_icmp_errors;
    auto pos = std::ranges::upper_bound(d.fragments, offset, {}, &Fragment::offset);
    d.fragments.insert(pos, Fragment{offset, {data.begin(), data.end()}});
    d.extent = std::max(d.extent, end);
    d.longest = std::max(d.longest, data.size());
    d.bytes += charge;
    bytes_held_ += charge;

    if (!complete(d)) return std::nullopt;
    auto datagram = assemble(d);
    ++stats_.frag_reassembled;
    discard(it);
    return datagram;
}

Reassembler::Fit Reassembler::check_overlaps(const Datagram& d, std::size_t offset, Bytes data) {
    const std::size_t end = offset + data.size();
    // Fragments are sorted by offset and none is longer than d.longest: only those from
    // offset - longest on can reach this one.
    const std::size_t from = offset > d.longest ? offset - d.longest : 0;
    for (auto f = std::ranges::lower_bound(d.fragments, from, {}, &Fragment::offset);
         f != d.fragments.end() && f->offset < end; ++f) {
        const std::size_t lo = std::max(offset, f->offset);
        const std::size_t hi = std::min(end, f->end());
        if (lo >= hi) continue;
        const bool same_bytes = std::ranges::equal(data.subspan(lo - offset, hi - lo),
                                                   Bytes(f->data).subspan(lo - f->offset, hi - lo));
        if (!same_bytes) return Fit::conflict;
        if (f->offset == offset && f->data.size() == data.size()) return Fit::duplicate;
    }
    return Fit::fresh;
}

bool Reassembler::complete(const Datagram& d) {
    if (!d.end || d.first.empty()) return false;
    std::size_t covered = 0;  // fragments are sorted by offset: walk the union
    for (const Fragment& f : d.fragments) {
        if (f.offset > covered) return false;
        covered = std::max(covered, f.end());
    }
    return covered == *d.end;
}

std::vector<std::byte> Reassembler::assemble(const Datagram& d) const {
    std::vector<std::byte> out(d.header_len + *d.end);
    std::ranges::copy(Bytes(d.first).first(d.header_len), out.begin());
    for (const Fragment& f : d.fragments)
        std::ranges::copy(f.data,
                          out.begin() + static_cast<std::ptrdiff_t>(d.header_len + f.offset));
    wire::Ipv4View view{wire::MutableBytes(out)};
    view.set_total_len(static_cast<std::uint16_t>(out.size()));
    view.set_flags_frag(view.dont_fragment(), false, 0);
    view.fill_checksum();
    return out;
}

void Reassembler::discard(Map::iterator it) {
    bytes_held_ -= it->second.bytes;
    datagrams_.erase(it);
}

void Reassembler::poll(Instant now, std::vector<std::vector<std::byte>>& expired_first) {
    for (auto it = datagrams_.begin(); it != datagrams_.end();) {
        if (it->second.deadline > now) {
            ++it;
            continue;
        }
        ++stats_.frag_timeout;
        // RFC 1122 3.2.2: no ICMP error about a datagram sent to a broadcast.
        if (!it->second.first.empty() && !it->second.no_icmp_errors)
            expired_first.push_back(std::move(it->second.first));
        auto next = std::next(it);
        discard(it);
        it = next;
    }
}

std::optional<Instant> Reassembler::next_deadline() const {
    std::optional<Instant> next;
    for (const auto& [key, d] : datagrams_)
        if (!next || d.deadline < *next) next = d.deadline;
    return next;
}

}  // namespace netstack::ip
