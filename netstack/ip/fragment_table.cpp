#include "ip/fragment_table.hpp"

#include <algorithm>

namespace netstack::ip {

using wire::Bytes;

FragmentTable::Added FragmentTable::add(const FragmentKey& key, std::size_t offset, Bytes data,
                                        bool more, std::optional<FirstFragment> first,
                                        bool no_icmp_errors, Instant now) {
    const std::size_t end = offset + data.size();
    auto it = datagrams_.find(key);
    const bool known = it != datagrams_.end();

    // The reassembled packet carries fragment 0's head (later fragments may carry a different
    // one): until it came, the family's assumption counts.
    const std::size_t counted = first                       ? first->counted_len
                                : known && it->second.first ? it->second.first->counted_len
                                                            : rules_.counted_before_first;
    const std::size_t extent = std::max(end, known ? it->second.extent : 0);
    if (counted + extent > rules_.max_len) {
        if (known) discard(it);
        return {Outcome::too_big};
    }
    if (!known) {
        if (datagrams_.size() >= config_.max_datagrams) return {Outcome::memory_limit};
        it = datagrams_.emplace(key, Datagram{.deadline = now + config_.timeout}).first;
    }
    Datagram& d = it->second;

    // The end of the datagram is fixed once; fragments past it, or a different end, conflict.
    const bool end_conflict =
        more ? (d.end && end > *d.end) : ((d.end && *d.end != end) || d.extent > end);
    const Fit fit = end_conflict ? Fit::conflict : check_overlaps(d, offset, data);
    if (fit == Fit::duplicate) return {Outcome::duplicate};
    if (fit == Fit::conflict) {
        discard(it);
        return {Outcome::overlap};
    }
    // A datagram that reached its fragment bound cannot take the fragments it still lacks.
    if (d.fragments.size() >= config_.max_fragments_per_datagram) {
        discard(it);
        return {Outcome::memory_limit};
    }
    const std::size_t charge = data.size() + fragment_overhead;
    if (bytes_held_ + charge > config_.max_bytes) {
        if (d.fragments.empty()) discard(it);
        return {Outcome::memory_limit};
    }

    if (!more) d.end = end;
    if (first) d.first = std::move(first);
    d.no_icmp_errors = d.no_icmp_errors || no_icmp_errors;
    auto pos = std::ranges::upper_bound(d.fragments, offset, {}, &Fragment::offset);
    d.fragments.insert(pos, Fragment{offset, {data.begin(), data.end()}});
    d.extent = std::max(d.extent, end);
    d.longest = std::max(d.longest, data.size());
    d.bytes += charge;
    bytes_held_ += charge;

    if (!complete(d)) return {Outcome::held};
    Added added{Outcome::complete, assemble(d), std::move(*d.first)};
    discard(it);
    return added;
}

FragmentTable::Fit FragmentTable::check_overlaps(const Datagram& d, std::size_t offset,
                                                 Bytes data) const {
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
        if (rules_.overlaps == OverlapRule::duplicates_only) return Fit::conflict;
    }
    return Fit::fresh;
}

bool FragmentTable::complete(const Datagram& d) {
    if (!d.end || !d.first) return false;
    std::size_t covered = 0;  // fragments are sorted by offset: walk the union
    for (const Fragment& f : d.fragments) {
        if (f.offset > covered) return false;
        covered = std::max(covered, f.end());
    }
    return covered == *d.end;
}

std::vector<std::byte> FragmentTable::assemble(const Datagram& d) {
    const std::size_t head_len = d.first->head_len;
    std::vector<std::byte> out(head_len + *d.end);
    std::ranges::copy(Bytes(d.first->bytes).first(head_len), out.begin());
    for (const Fragment& f : d.fragments)
        std::ranges::copy(f.data, out.begin() + static_cast<std::ptrdiff_t>(head_len + f.offset));
    return out;
}

FragmentTable::Map::iterator FragmentTable::discard(Map::iterator it) {
    bytes_held_ -= it->second.bytes;
    return datagrams_.erase(it);
}

std::optional<Instant> FragmentTable::next_deadline() const {
    std::optional<Instant> next;
    for (const auto& [key, d] : datagrams_)
        if (!next || d.deadline < *next) next = d.deadline;
    return next;
}

}  // namespace netstack::ip
