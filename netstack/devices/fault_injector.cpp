// FaultInjector: seeded losses, duplicates, corruption and reordering on transmit.
#include <algorithm>

#include "netstack/middleware.hpp"

namespace netstack {

std::uint64_t SplitMix64::next() {
    // SplitMix64 (Steele, Lea, Flood 2014), the seeding generator of xoshiro.
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

FaultInjector::FaultInjector(Device& inner, FaultConfig config)
    : inner_(inner), config_(config), rng_(config.seed) {}

TxStatus FaultInjector::transmit(std::span<const std::byte> frame) {
    ++stats_.frames;
    // The three rolls are drawn for every frame whatever the outcome, so changing one rate
    // does not change which frames another fault hits.
    const bool drop = rng_.unit() < config_.drop;
    const bool duplicate = rng_.unit() < config_.duplicate;
    const bool reorder = rng_.unit() < config_.reorder;
    if (drop) {
        ++stats_.dropped;
        return TxStatus::sent;  // lost on the wire, not refused
    }
    if (reorder && !held_) {
        ++stats_.reordered;
        held_.emplace(frame.begin(), frame.end());
        return TxStatus::sent;
    }
    TxStatus status = send_maybe_corrupted(frame);
    if (duplicate) {
        ++stats_.duplicated;
        send_maybe_corrupted(frame);
    }
    release_held();
    return status;
}

void FaultInjector::release_held() {
    if (!held_) return;
    const std::vector<std::byte> frame = std::move(*held_);
    held_.reset();
    send_maybe_corrupted(frame);
}

TxStatus FaultInjector::send_maybe_corrupted(std::span<const std::byte> frame) {
    if (frame.empty() || !(rng_.unit() < config_.corrupt)) return inner_.transmit(frame);
    ++stats_.corrupted;
    scratch_.assign(frame.begin(), frame.end());
    const std::size_t at = static_cast<std::size_t>(rng_.below(scratch_.size()));
    // XOR with a non-zero value: the byte always changes.
    const auto flip = static_cast<std::byte>(1 + rng_.below(255));
    scratch_[at] ^= flip;
    return inner_.transmit(scratch_);
}

}  // namespace netstack
