// Urgent data (RFC 9293 3.8.5, RFC 6093). The urgent pointer marks the byte after the last
// urgent byte (MUST-31). Sockets read it as BSD and Linux do: that last urgent byte, the
// mark, is one out-of-band byte read apart (recv MSG_OOB) unless the socket reads it inline
// (SO_OOBINLINE), and a read stops at the mark either way, so the reader learns where the
// urgent data ended (SIOCATMARK).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "netstack/tcp.hpp"

namespace netstack::tcp {

// Our urgent pointer: it rides on every segment that starts before it, until the peer has
// acknowledged everything up to it.
class UrgentSender {
  public:
    void mark(std::uint32_t end) { up_ = end; }  // the urgent data ends before `end`
    void acknowledged(std::uint32_t snd_una);
    bool active() const { return up_.has_value(); }
    // The URG pointer of a segment starting at `seq`, if it carries one. `snd_max`: the
    // highest sequence number sent.
    std::optional<std::uint16_t> pointer(std::uint32_t seq, std::uint32_t snd_max) const;

  private:
    std::optional<std::uint32_t> up_{};
};

// The peer's urgent pointer, as the reader meets it. `read` below is the sequence number of
// the next byte the reader gets, `rcv_nxt` that of the next byte expected.
class UrgentReceiver {
  public:
    enum class Seen : std::uint8_t {
        ignored,                  // already read, already received (a retransmission), or not newer
        news,                     // a first mark, or one beyond the last: tell the user (MUST-32)
        replaces_unread_at_read,  // news, and the old mark's byte waits unread at `read`
    };
    // 3.10.7.4 "sixth, check the URG bit", with the pointer SEG.SEQ + SEG.UP.
    Seen pointer(std::uint32_t up, std::uint32_t read, std::uint32_t rcv_nxt, bool oob_inline);
    // The last urgent byte's sequence number, while the reader has not gone past it.
    std::optional<std::uint32_t> mark() const { return mark_; }
    // The reader reached `read`: a mark behind it is over (its byte, if not taken, is lost).
    void read_to(std::uint32_t read);
    // How much of `want` a read at `read` may take without crossing a mark ahead of it (a
    // read that starts at the mark goes on past it).
    std::size_t before_mark(std::uint32_t read, std::size_t want) const;
    // 1 when the mark's byte has arrived and is kept out of the stream (not inline).
    std::size_t withheld(std::uint32_t read, std::uint32_t rcv_nxt, bool oob_inline) const;
    TcpUrgent state(std::uint32_t read, std::uint32_t rcv_nxt, bool oob_inline) const;
    void take() { taken_ = true; }  // tcp_receive_urgent read the byte
    bool taken() const { return taken_; }

  private:
    std::optional<std::uint32_t> mark_{};
    bool taken_ = false;
};

}  // namespace netstack::tcp
