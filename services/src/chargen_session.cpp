// chargen (RFC 864): the character pattern for as long as the peer keeps the connection;
// what the peer sends is discarded. Generated as buffer space frees up, never stored.
#include "services/patterns.hpp"
#include "sessions.hpp"

namespace services {

namespace {

class ChargenSession final : public Session {
  public:
    bool wants_input() const override { return !eof_; }
    void receive(std::span<const std::byte>) override {}
    void end_of_input() override { eof_ = true; }
    std::size_t produce(std::span<std::byte> out) override {
        if (eof_) return 0;
        fill_chargen(offset_, out);
        offset_ += out.size();
        return out.size();
    }
    bool finished() const override { return eof_; }

  private:
    std::uint64_t offset_ = 0;
    bool eof_ = false;
};

}  // namespace

std::unique_ptr<Session> make_chargen_session() {
    return std::make_unique<ChargenSession>();
}

}  // namespace services
