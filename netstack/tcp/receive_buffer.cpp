#include "tcp/receive_buffer.hpp"

#include <algorithm>

namespace netstack::tcp {

ReceiveBuffer::Added ReceiveBuffer::add(std::size_t offset, std::span<const std::byte> data) {
    Added added;
    if (data.empty()) return added;
    if (offset == 0) {
        data_.append(data);
        std::size_t advanced = data.size();
        // Pull in what was waiting behind the hole; queued offsets are relative to the old
        // next byte.
        std::vector<Segment> rest;
        for (auto& seg : ooo_) {
            if (seg.offset + seg.bytes.size() <= advanced) continue;  // wholly covered
            if (seg.offset <= advanced) {
                const std::size_t skip = advanced - seg.offset;
                data_.append(std::span(seg.bytes).subspan(skip));
                advanced += seg.bytes.size() - skip;
            } else {
                rest.push_back(std::move(seg));
            }
        }
        for (auto& seg : rest)
            seg.offset -= advanced;
        ooo_ = std::move(rest);
        added.in_order = advanced;
        return added;
    }
    // Out of order: keep only the bytes no queued segment holds yet.
    std::size_t begin = offset;
    const std::size_t end = offset + data.size();
    std::vector<Segment> pieces;
    for (const auto& seg : ooo_) {
        const std::size_t s = seg.offset, e = seg.offset + seg.bytes.size();
        if (e <= begin || s >= end) continue;
        if (s > begin) pieces.push_back({begin, {}});
        if (s > begin)
            pieces.back().bytes.assign(data.begin() + static_cast<std::ptrdiff_t>(begin - offset),
                                       data.begin() + static_cast<std::ptrdiff_t>(s - offset));
        begin = std::max(begin, e);
    }
    if (begin < end)
        pieces.push_back(
            {begin, std::vector<std::byte>(
                        data.begin() + static_cast<std::ptrdiff_t>(begin - offset), data.end())});
    if (pieces.empty()) {
        added.queued = true;  // a duplicate of what is held
        return added;
    }
    if (ooo_.size() + pieces.size() > max_segments_) {
        added.queue_full = true;
        return added;
    }
    for (auto& p : pieces)
        ooo_.push_back(std::move(p));
    std::ranges::sort(ooo_, {}, &Segment::offset);
    added.queued = true;
    return added;
}

std::span<const std::byte> ReceiveBuffer::front(std::size_t max) const {
    return data_.view(0, max);
}

void ReceiveBuffer::drop(std::size_t n) {
    data_.consume(n);
}

void ReceiveBuffer::discard_all() {
    data_.clear();
}

std::size_t ReceiveBuffer::allocated() const {
    std::size_t bytes = data_.allocated();
    for (const auto& segment : ooo_)
        bytes += segment.bytes.capacity();
    return bytes;
}

void ReceiveBuffer::release_if_empty() {
    if (ooo_.empty()) data_.release_if_empty();
}

std::vector<ReceiveBuffer::Block> ReceiveBuffer::out_of_order_blocks() const {
    std::vector<Block> blocks;
    for (const auto& seg : ooo_) {
        if (!blocks.empty() && blocks.back().offset + blocks.back().len == seg.offset)
            blocks.back().len += seg.bytes.size();
        else
            blocks.push_back({seg.offset, seg.bytes.size()});
    }
    return blocks;
}

}  // namespace netstack::tcp
