#include "impair/impairment.hpp"

#include <algorithm>

#include "random.hpp"

namespace shmif::impair {

Counters& Counters::operator+=(const Counters& o) {
#define SHMIF_IMPAIR_ADD(name, what) name += o.name;
    SHMIF_IMPAIR_COUNTERS(SHMIF_IMPAIR_ADD)
#undef SHMIF_IMPAIR_ADD
    queued += o.queued;
    return *this;
}

Impairment::Impairment(const Settings& settings, std::uint64_t seed) {
    reseed(settings.seed.value_or(seed));
    configure(settings);
}

Impairment::~Impairment() = default;
Impairment::Impairment(Impairment&&) noexcept = default;
Impairment& Impairment::operator=(Impairment&&) noexcept = default;

void Impairment::reseed(std::uint64_t seed) {
    random_ = std::make_unique<Random>(seed);
}

void Impairment::configure(const Settings& settings) {
    if (settings.seed && settings.seed != settings_.seed) reseed(*settings.seed);
    settings_ = settings;
    loss_ = std::make_unique<LossModel>(settings.loss);
    duplicate_ = std::make_unique<CorrelatedChance>(settings.duplicate);
    corrupt_ = std::make_unique<CorrelatedChance>(settings.corrupt);
    reorder_ = std::make_unique<CorrelatedChance>(settings.reorder);
    delay_ = std::make_unique<DelaySampler>(settings.delay);
    gap_counter_ = 0;
}

unsigned Impairment::offer(std::span<const std::byte> frame, Instant now) {
    ++counters_.frames_in;
    counters_.bytes_in += frame.size();
    // Every roll is drawn for every frame, whatever the outcome, so that changing one
    // control does not change which frames another one hits.
    unsigned copies = duplicate_->next(*random_) ? 2 : 1;
    if (copies == 2) ++counters_.duplicated;
    if (loss_->lost(*random_)) {
        --copies;
        ++counters_.dropped_loss;
    }
    // As netem: the duplicate is a clean copy; the frame itself may be corrupted.
    const bool corrupt = corrupt_->next(*random_) && !frame.empty();
    if (copies >= 1) enqueue_one(frame, corrupt, now);
    if (copies == 2) enqueue_one(frame, false, now);
    return copies;
}

std::size_t Impairment::store(std::span<const std::byte> frame, bool corrupt) {
    std::size_t slot;
    if (free_slots_.empty()) {
        slot = slots_.size();
        slots_.emplace_back();
    } else {
        slot = free_slots_.back();
        free_slots_.pop_back();
    }
    std::vector<std::byte>& copy = slots_[slot];
    copy.assign(frame.begin(), frame.end());
    if (corrupt) {
        const std::size_t at = random_->below(copy.size());
        copy[at] ^= static_cast<std::byte>(1U << random_->below(8));
        ++counters_.corrupted;
    }
    return slot;
}

void Impairment::enqueue_one(std::span<const std::byte> frame, bool corrupt, Instant now) {
    if (queued() >= settings_.limit) {
        ++counters_.dropped_queue;
        return;
    }
    // netem: with a gap, frames [1, gap) always wait; then each may skip with the chance.
    bool skip = false;
    if (settings_.reorder.probability > 0) {
        const bool eligible =
            settings_.reorder_gap == 0 || gap_counter_ + 1 >= settings_.reorder_gap;
        skip = reorder_->next(*random_) && eligible;
    }
    const std::size_t slot = store(frame, corrupt);
    if (skip) {
        gap_counter_ = 0;
        ++counters_.reordered;
        immediate_.push_back(slot);
    } else {
        ++gap_counter_;
        Instant due = now + delay_->next(*random_);
        if (settings_.rate_bps > 0) {
            // netem: serialised after the last frame queued, each taking its size at the rate.
            due = std::max(due, last_due_);
            // Frames are at most a few MiB: bits * 1e9 stays far inside 64 bits.
            const auto wire_ns = static_cast<std::int64_t>(std::uint64_t{frame.size()} * 8 *
                                                           1'000'000'000 / settings_.rate_bps);
            due += std::chrono::nanoseconds(wire_ns);
            last_due_ = due;
        }
        if (due > now) ++counters_.delayed;
        waiting_.push(Waiting{due, next_order_++, slot});
    }
    counters_.queue_peak = std::max<std::uint64_t>(counters_.queue_peak, queued());
}

std::size_t Impairment::release(Instant now,
                                const std::function<void(std::span<const std::byte>)>& emit) {
    // Take what is due first, then hand it on: emit may offer() to this engine again.
    std::vector<std::size_t> due;
    due.swap(due_scratch_);
    due.clear();
    while (!immediate_.empty()) {
        due.push_back(immediate_.front());
        immediate_.pop_front();
    }
    while (!waiting_.empty() && waiting_.top().due <= now) {
        due.push_back(waiting_.top().slot);
        waiting_.pop();
    }
    for (std::size_t slot : due) {
        ++counters_.frames_out;
        counters_.bytes_out += slots_[slot].size();
        emit(slots_[slot]);
        free_slots_.push_back(slot);
    }
    const std::size_t n = due.size();
    due_scratch_ = std::move(due);
    return n;
}

std::optional<Instant> Impairment::next_due() const {
    if (!immediate_.empty()) return Instant::min();
    if (waiting_.empty()) return std::nullopt;
    return waiting_.top().due;
}

Counters Impairment::counters() const {
    Counters c = counters_;
    c.queued = queued();
    return c;
}

}  // namespace shmif::impair
