// A bus cursor as a worker source: each poll receives a batch of frames and hands them to
// a handler, in the worker's thread.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmifd/engine/source.hpp"

namespace shmifd::engine {

class BusSource final : public Source {
  public:
    using Handler = std::function<void(std::span<const shmif::Frame>)>;

    // The bus must outlive the source. Frames are copied into buffers of the bus's maximum
    // frame size, at most `batch` per poll.
    BusSource(const shmif::Bus& bus, shmif::CursorOptions opts, Handler handler,
              std::string name = "bus");

    std::size_t poll(std::size_t budget) override;
    bool arm(WaitSet& set) override;
    void disarm() override;
    std::string_view name() const override { return name_; }
    const shmif::Cursor& cursor() const { return cursor_; }

  private:
    shmif::Cursor cursor_;
    Handler handler_;
    std::string name_;
    std::vector<std::byte> storage_;
    std::vector<shmif::Frame> frames_;
    std::size_t frame_capacity_;
};

}  // namespace shmifd::engine
