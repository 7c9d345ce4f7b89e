// Reads a stream descriptor (a client's socketpair end, a forwarded host TCP socket) driven
// by edge-triggered epoll, and finds the out-of-band byte the other end sent with MSG_OOB.
//
// Our end reads that byte inline (SO_OOBINLINE, set where the descriptor is made: a read
// that met the byte first after all takes it as data instead of dropping it), and a read
// stops before it, so the only read that could swallow it as ordinary data is one that
// starts right at it. A read starts only where the descriptor's state says what comes first:
// the readiness harvested by epoll (POLLPRI: an unread out-of-band byte is queued),
// SIOCATMARK when one is, poll(2) after a full read. A read that comes back short has
// drained the descriptor (whatever arrives later raises a new edge), so the common case
// costs no call beyond the read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace shmifd::sockets {

class StreamReader {
  public:
    explicit StreamReader(int fd);

    // The events epoll reported for the descriptor.
    void on_events(std::uint32_t events);
    bool readable() const { return readable_; }

    struct Read {
        long n = 0;           // as recv(2): bytes, 0 at end of file, -1 with `error`
        int error = 0;        // errno; EAGAIN when there was nothing to read
        bool urgent = false;  // the one byte read is the out-of-band byte
    };
    Read read(std::span<std::byte> into);

  private:
    enum class Head : std::uint8_t {
        data,        // ordinary data first (or end of file); nothing out of band queued
        maybe_mark,  // an out-of-band byte is queued: SIOCATMARK says if it is first
        mark,        // the out-of-band byte is first
        unknown,     // ask poll(2)
    };
    bool at_mark();
    void probe();

    int fd_;
    // Nothing is known until epoll's first report, which adding the descriptor brings.
    bool readable_ = false;
    bool hangup_ = false;   // the other end shut down: read on to the end of file
    bool settled_ = false;  // and nothing out of band was queued then: no probing
    bool marks_ = true;     // the descriptor answers SIOCATMARK
    Head head_ = Head::unknown;
};

}  // namespace shmifd::sockets
