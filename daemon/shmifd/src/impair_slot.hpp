// One direction's impairment on one interface of one worker: absent until first set, kept
// after a clear until the frames it holds have left (and for its counters).
#pragma once

#include <chrono>
#include <optional>

#include "impair/impairment.hpp"

namespace shmifd {

enum class ImpairDirection { egress, ingress };

class ImpairSlot {
  public:
    // New settings take effect on the next frame; frames already held keep their times.
    // The settings carry the seed (the daemon always fills it in).
    void set(const shmif::impair::Settings& settings) {
        if (engine_)
            engine_->configure(settings);
        else if (!settings.none())
            engine_.emplace(settings);
    }
    // Whether frames must pass through the engine (otherwise they go straight on).
    bool active() const {
        return engine_ && (!engine_->settings().none() || engine_->queued() > 0);
    }
    shmif::impair::Impairment& engine() { return *engine_; }
    std::optional<shmif::impair::Instant> next_due() const {
        return engine_ ? engine_->next_due() : std::nullopt;
    }
    shmif::impair::Counters counters() const {
        return engine_ ? engine_->counters() : shmif::impair::Counters{};
    }

  private:
    std::optional<shmif::impair::Impairment> engine_;
};

}  // namespace shmifd
