#include "tcp/urgent.hpp"

#include <algorithm>

#include "tcp/seq.hpp"

namespace netstack::tcp {

namespace {
constexpr std::uint32_t max_pointer = 0xffff;
}  // namespace

void UrgentSender::acknowledged(std::uint32_t snd_una) {
    if (up_ && seq_ge(snd_una, *up_)) up_.reset();
}

std::optional<std::uint16_t> UrgentSender::pointer(std::uint32_t seq, std::uint32_t snd_max) const {
    if (!up_ || !seq_lt(seq, *up_)) return std::nullopt;
    const std::uint32_t distance = *up_ - seq;
    if (distance <= max_pointer) return static_cast<std::uint16_t>(distance);
    // Farther than the field reaches (RFC 6093 4): the peer still learns that urgent data
    // comes, from a pointer beyond anything sent so far, so it marks no byte it already has
    // (the rule Linux follows); later segments move it to the real end.
    if (seq_gt(seq + max_pointer, snd_max)) return static_cast<std::uint16_t>(max_pointer);
    return std::nullopt;
}

UrgentReceiver::Seen UrgentReceiver::pointer(std::uint32_t up, std::uint32_t read,
                                             std::uint32_t rcv_nxt, bool oob_inline) {
    const std::uint32_t mark = up - 1;
    if (seq_lt(mark, read)) return Seen::ignored;     // read already
    if (seq_lt(mark, rcv_nxt)) return Seen::ignored;  // received: a retransmission's pointer
    if (mark_ && seq_le(mark, *mark_)) return Seen::ignored;
    // An unread out-of-band byte right at the reader is dropped rather than turned into
    // ordinary data by the newer mark (as Linux's tcp_check_urg).
    const bool drop_old = mark_ && *mark_ == read && !oob_inline && seq_lt(*mark_, rcv_nxt);
    mark_ = mark;
    taken_ = false;
    return drop_old ? Seen::replaces_unread_at_read : Seen::news;
}

void UrgentReceiver::read_to(std::uint32_t read) {
    if (mark_ && seq_lt(*mark_, read)) {
        mark_.reset();
        taken_ = false;
    }
}

std::size_t UrgentReceiver::before_mark(std::uint32_t read, std::size_t want) const {
    if (!mark_ || seq_le(*mark_, read)) return want;
    return std::min<std::size_t>(want, *mark_ - read);
}

std::size_t UrgentReceiver::withheld(std::uint32_t read, std::uint32_t rcv_nxt,
                                     bool oob_inline) const {
    return mark_ && !oob_inline && seq_in(*mark_, read, rcv_nxt) ? 1 : 0;
}

TcpUrgent UrgentReceiver::state(std::uint32_t read, std::uint32_t rcv_nxt, bool oob_inline) const {
    if (!mark_ || seq_lt(*mark_, read)) return {};
    return {.remaining = *mark_ - read + 1,
            .at_mark = *mark_ == read,
            .byte_ready = !oob_inline && !taken_ && seq_lt(*mark_, rcv_nxt)};
}

}  // namespace netstack::tcp
