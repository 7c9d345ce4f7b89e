// echo (RFC 862): every byte back, in order. Input stops while a bounded amount waits to be
// sent, so a peer that does not read blocks itself, not our memory.
#include <algorithm>
#include <cstring>
#include <vector>

#include "sessions.hpp"

namespace services {

namespace {

constexpr std::size_t max_pending = 64 * 1024;

class EchoSession final : public Session {
  public:
    bool wants_input() const override { return pending() < max_pending && !eof_; }
    void receive(std::span<const std::byte> data) override {
        if (read_ == buffer_.size()) {
            buffer_.clear();
            read_ = 0;
        }
        buffer_.insert(buffer_.end(), data.begin(), data.end());
    }
    void end_of_input() override { eof_ = true; }
    std::size_t produce(std::span<std::byte> out) override {
        const auto n = std::min(out.size(), pending());
        if (n == 0) return 0;  // an empty buffer's data() may be null: no memcpy from it
        std::memcpy(out.data(), buffer_.data() + read_, n);
        read_ += n;
        if (read_ > max_pending) {  // compact now and then, not per call
            buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_));
            read_ = 0;
        }
        return n;
    }
    bool finished() const override { return eof_ && pending() == 0; }

  private:
    std::vector<std::byte> buffer_;
    std::size_t read_ = 0;
    bool eof_ = false;

    std::size_t pending() const { return buffer_.size() - read_; }
};

}  // namespace

std::unique_ptr<Session> make_echo_session() {
    return std::make_unique<EchoSession>();
}

}  // namespace services
