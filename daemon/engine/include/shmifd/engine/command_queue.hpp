// A worker's mailbox: any thread posts a function, the owning worker runs it in its loop,
// between polls, without stopping anyone (cross-core work as a message, Seastar's way).
// For changes to what workers share, use stop_machine instead.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "shmifd/engine/source.hpp"

namespace shmifd::engine {

class CommandQueue final : public Source {
  public:
    using Command = std::function<void()>;

    // A handle that posts to this queue; copyable, usable from any thread, and harmless
    // (post returns false) once the queue is gone.
    class Poster {
      public:
        bool post(Command command) const;

      private:
        friend class CommandQueue;
        struct Shared;
        std::shared_ptr<Shared> shared_;
    };

    CommandQueue();
    ~CommandQueue() override;
    Poster poster() const;

    std::size_t poll(std::size_t budget) override;
    bool arm(WaitSet& set) override;
    std::string_view name() const override { return "commands"; }

  private:
    std::shared_ptr<Poster::Shared> shared_;
    std::vector<Command> running_;  // the batch being run, reused
};

}  // namespace shmifd::engine
