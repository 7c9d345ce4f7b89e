// Splits a byte stream into lines of at most `max_line` bytes. A longer line is reported once,
// as soon as it goes over the limit, and the rest of it is skipped up to its '\n' — memory
// stays bounded by `max_line` whatever the peer sends (daemon/PROTOCOL.md: too_large).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace shmifd::control {

class LineFramer {
  public:
    explicit LineFramer(std::size_t max_line) : max_line_(max_line) {}

    enum class Kind { need_more, line, too_large };
    struct Event {
        Kind kind = Kind::need_more;
        std::string_view line;     // Kind::line: valid until the next call and while `input` is
        std::size_t consumed = 0;  // bytes of `input` used
    };
    // Consumes `input` up to the next event (or all of it: need_more).
    Event next(std::string_view input);

    // Bytes of an unfinished line held (for a peer that closes mid-line).
    bool mid_line() const { return !partial_.empty() || discarding_; }

  private:
    std::size_t max_line_;
    std::string partial_;
    std::string line_;
    bool discarding_ = false;
};

}  // namespace shmifd::control
