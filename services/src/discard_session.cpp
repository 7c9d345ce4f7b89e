// discard (RFC 863): reads everything, sends nothing, closes when the peer does.
#include "sessions.hpp"

namespace services {

namespace {

class DiscardSession final : public Session {
  public:
    bool wants_input() const override { return !eof_; }
    void receive(std::span<const std::byte>) override {}
    void end_of_input() override { eof_ = true; }
    std::size_t produce(std::span<std::byte>) override { return 0; }
    bool finished() const override { return eof_; }

  private:
    bool eof_ = false;
};

}  // namespace

std::unique_ptr<Session> make_discard_session() {
    return std::make_unique<DiscardSession>();
}

}  // namespace services
