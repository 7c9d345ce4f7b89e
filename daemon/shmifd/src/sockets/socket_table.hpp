// Every virtual socket of the daemon by id, the limits on them, and the errors of the last
// closed ones (SO_ERROR read after the daemon let go). Thread-safe: the control thread adds
// and looks up, shards add accepted connections and remove what ended.
#pragma once

#include <cstdint>
#include <deque>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "socket_record.hpp"

namespace shmifd::sockets {

struct SocketLimits {
    std::size_t per_client = 1024;  // EMFILE beyond
    std::size_t total = 16384;      // ENOBUFS beyond
    std::size_t tombstones = 4096;
};

class SocketTable {
  public:
    explicit SocketTable(SocketLimits limits = {});

    // The run's tag in every daemon end's abstract name (16 hex digits).
    const std::string& tag() const { return tag_; }
    // "\0shmifd/TAG/ID" without the leading NUL; "\0shmifd/TAG/ID/6" for an inet6 socket, so
    // that the client knows a descriptor's family without asking.
    std::string abstract_name(std::uint64_t id, SockDomain domain) const;

    // A new record, or the errno name of the limit it hit.
    std::expected<std::shared_ptr<SockRecord>, std::string> add(SockType type, SockDomain domain,
                                                                std::int64_t pid,
                                                                std::uint64_t client);
    std::shared_ptr<SockRecord> find(std::uint64_t id) const;
    // The data path of `id` ended: its record goes, its last error is kept a while.
    void remove(std::uint64_t id, std::string last_error);
    // The error a closed socket left (empty: none or unknown); reading clears it.
    std::optional<std::string> take_tombstone(std::uint64_t id);
    // A closed socket's local address, as its client saw it (getsockname works after the close, as
    // on a kernel socket whose connection has ended); none when unknown or never bound.
    std::optional<netstack::Endpoint> closed_local(std::uint64_t id) const;
    bool closed(std::uint64_t id) const;
    std::vector<std::shared_ptr<SockRecord>> all() const;
    std::size_t size() const;

  private:
    SocketLimits limits_;
    std::string tag_;
    mutable std::mutex mutex_;
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, std::shared_ptr<SockRecord>> records_;
    std::unordered_map<std::uint64_t, std::size_t> per_client_;
    struct Tombstone {
        std::uint64_t id = 0;
        std::string last_error;
        std::optional<netstack::Endpoint> local;
    };
    std::deque<Tombstone> tombstones_;
};

}  // namespace shmifd::sockets
