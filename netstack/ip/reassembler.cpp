#include "ip/reassembler.hpp"

#include <algorithm>

namespace netstack::ip {

using wire::Bytes;

std::optional<std::vector<std::byte>> Reassembler::add(Bytes packet, const wire::Ipv4Repr& repr,
                                                       Instant now) {
    ++stats_.frag_received;
    wire::Ipv4View view(packet);
    const Bytes data = view.payload();
    const std::size_t offset = repr.frag_offset;
    const std::size_t end = offset + data.size();
    const Key key{repr.src.value, repr.dst.value, repr.protocol, repr.ident};
    auto it = datagrams_.find(key);

    // RFC 791: every fragment but the last carries a multiple of 8 bytes.
    if (repr.more_fragments && (data.empty() || data.size() % 8 != 0)) {
        ++stats_.drop_bad_total_len;
        return std::nullopt;
    }
    if (view.header_len() + end > wire::ipv4_max_total_len) {
        ++stats_.frag_too_big;
        if (it != datagrams_.end()) discard(it);
        return std::nullopt;
    }
    if (it == datagrams_.end()) {
        if (datagrams_.size() >= config_.max_datagrams) {
            ++stats_.frag_memory_limit;
            return std::nullopt;
        }
        it = datagrams_.emplace(key, Datagram{.deadline = now + config_.timeout}).first;
    }
    Datagram& d = it->second;

    // The end of the datagram is fixed once; fragments past it, or a different end, conflict.
    const bool end_conflict = repr.more_fragments
                                  ? (d.end && end > *d.end)
                                  : ((d.end && *d.end != end) ||
                                     (!d.fragments.empty() && d.fragments.back().end() > end));
    const Fit fit = end_conflict ? Fit::conflict : check_overlaps(d, offset, data);
    if (fit == Fit::duplicate) return std::nullopt;
    if (fit == Fit::conflict) {
        ++stats_.frag_overlap;
        discard(it);
        return std::nullopt;
    }
    if (bytes_held_ + data.size() > config_.max_bytes) {
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
    auto pos = std::ranges::upper_bound(d.fragments, offset, {}, &Fragment::offset);
    d.fragments.insert(pos, Fragment{offset, {data.begin(), data.end()}});
    d.bytes += data.size();
    bytes_held_ += data.size();

    if (!complete(d)) return std::nullopt;
    auto datagram = assemble(d);
    ++stats_.frag_reassembled;
    discard(it);
    return datagram;
}

Reassembler::Fit Reassembler::check_overlaps(const Datagram& d, std::size_t offset, Bytes data) {
    const std::size_t end = offset + data.size();
    for (const Fragment& f : d.fragments) {
        const std::size_t lo = std::max(offset, f.offset);
        const std::size_t hi = std::min(end, f.end());
        if (lo >= hi) continue;
        const bool same_bytes = std::ranges::equal(data.subspan(lo - offset, hi - lo),
                                                   Bytes(f.data).subspan(lo - f.offset, hi - lo));
        if (!same_bytes) return Fit::conflict;
        if (f.offset == offset && f.data.size() == data.size()) return Fit::duplicate;
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
        if (!it->second.first.empty()) expired_first.push_back(std::move(it->second.first));
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
