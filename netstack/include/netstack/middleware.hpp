// Devices that wrap another Device and are one: a FaultInjector that makes a perfect link
// lossy in a reproducible way, and a Tracer that shows every transmitted frame to a callback.
// They stack: Tracer(FaultInjector(MemoryDevice)) traces what the stack sent, before faults.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "netstack/device.hpp"

namespace netstack {

// A small deterministic PRNG (SplitMix64): the same seed gives the same faults on every
// platform, which std::uniform_real_distribution does not promise.
class SplitMix64 {
  public:
    explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next();
    // Uniform in [0, 1).
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    // Uniform in [0, bound); bound > 0.
    std::uint64_t below(std::uint64_t bound) { return next() % bound; }

  private:
    std::uint64_t state_;
};

struct FaultConfig {
    std::uint64_t seed = 1;
    // Probabilities per transmitted frame, each in [0, 1], applied in this order: a dropped
    // frame is not also duplicated.
    double drop = 0;
    double duplicate = 0;
    double corrupt = 0;  // one byte of the copy sent is flipped
    double reorder = 0;  // held back and sent after the next frame
};

struct FaultStats {
    std::uint64_t frames = 0;  // transmit() calls seen
    std::uint64_t dropped = 0;
    std::uint64_t duplicated = 0;
    std::uint64_t corrupted = 0;
    std::uint64_t reordered = 0;
};

// Wraps `inner` (borrowed; must outlive the injector). A dropped frame still reports
// TxStatus::sent: the link lost it, it did not refuse it. A frame held back for reordering
// goes out right after the next transmitted frame, or at release_held().
class FaultInjector : public Device {
  public:
    FaultInjector(Device& inner, FaultConfig config);

    TxStatus transmit(std::span<const std::byte> frame) override;
    void flush() override { inner_.flush(); }
    std::size_t max_frame() const override { return inner_.max_frame(); }

    // Sends the held-back frame, if any, now.
    void release_held();
    const FaultStats& stats() const { return stats_; }
    const FaultConfig& config() const { return config_; }

  private:
    TxStatus send_maybe_corrupted(std::span<const std::byte> frame);

    Device& inner_;
    FaultConfig config_;
    SplitMix64 rng_;
    FaultStats stats_;
    std::optional<std::vector<std::byte>> held_;
    std::vector<std::byte> scratch_;  // the corrupted copy
};

// Wraps `inner` (borrowed) and calls `on_transmit` with every frame after handing it on, with
// what the inner device said. Received frames never pass through a Device; trace them where
// they are handed to Stack::receive().
class Tracer : public Device {
  public:
    using Callback = std::function<void(std::span<const std::byte> frame, TxStatus status)>;

    Tracer(Device& inner, Callback on_transmit)
        : inner_(inner), on_transmit_(std::move(on_transmit)) {}

    TxStatus transmit(std::span<const std::byte> frame) override {
        const TxStatus status = inner_.transmit(frame);
        if (on_transmit_) on_transmit_(frame, status);
        return status;
    }
    void flush() override { inner_.flush(); }
    std::size_t max_frame() const override { return inner_.max_frame(); }

  private:
    Device& inner_;
    Callback on_transmit_;
};

}  // namespace netstack
