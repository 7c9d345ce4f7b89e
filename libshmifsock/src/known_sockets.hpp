// What this process learned about its virtual sockets that cannot change while they exist:
// the local name of an accepted TCP socket, its peer's (while the connection lasts: the
// caller checks that), and that a socket listens; and the TCP_NODELAY it last sent on the
// lane, which the daemon takes a moment later (so that a getsockopt right after the
// setsockopt reads it back; a fork's sibling that changes it on the same socket is not seen
// here). Learned
// from replies and hand-off records, it spares the requests that would ask again (a request
// is a round trip to the daemon: tens of microseconds of two sleeping threads woken), such
// as the getsockname CPython makes on every socket it accepts. Keyed by the daemon run's tag
// and the socket id, which that run never gives to another socket; bounded (forgotten
// entries are asked for again).
#pragma once

#include <pthread.h>

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "inet_address.hpp"

namespace shmifsock {

class KnownSockets {
  public:
    void remember_local(std::uint64_t tag, std::uint64_t sock, const InetAddress& local);
    std::optional<InetAddress> local(std::uint64_t tag, std::uint64_t sock);
    void remember_peer(std::uint64_t tag, std::uint64_t sock, const InetAddress& peer);
    std::optional<InetAddress> peer(std::uint64_t tag, std::uint64_t sock);
    void remember_listening(std::uint64_t tag, std::uint64_t sock);
    bool listening(std::uint64_t tag, std::uint64_t sock);
    void remember_no_delay(std::uint64_t tag, std::uint64_t sock, bool on);
    std::optional<bool> no_delay(std::uint64_t tag, std::uint64_t sock);
    // In a child after fork: a thread of the parent may have held the mutex.
    void reset_mutex() { pthread_mutex_init(&mutex_, nullptr); }

  private:
    struct Facts {
        std::uint64_t tag = 0;
        std::optional<InetAddress> local;
        std::optional<InetAddress> peer;
        bool listening = false;
        std::optional<bool> no_delay;
    };
    static constexpr std::size_t kMaxEntries = 4096;
    Facts& entry(std::uint64_t tag, std::uint64_t sock);               // under mutex_
    std::optional<Facts> find(std::uint64_t tag, std::uint64_t sock);  // a copy, or none

    pthread_mutex_t mutex_ = PTHREAD_MUTEX_INITIALIZER;
    std::unordered_map<std::uint64_t, Facts> facts_;
};

}  // namespace shmifsock
