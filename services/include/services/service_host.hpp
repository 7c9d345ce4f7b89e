// Runs services on one netstack::Stack: owns their listening and UDP sockets and every
// connection, moves bytes between sockets and Sessions, and keeps the counters. One per
// stack (a daemon shard, shmifhost); everything happens on the stack's thread.
//
// Sharding (stack.hpp): a TCP listener is opened on every shard, and each shard serves the
// connections it owns; a UDP service socket only on the shard that owns the port
// (port % count), as only that one receives its datagrams.
//
// Readiness comes from the owner's socket watch (a SocketWatcher): on each event the host
// accepts, reads while the session takes input, and sends while the socket takes bytes.
// Per connection at most one 16 KiB chunk waits outside the stack; a session's own buffer
// is bounded too (echo: 64 KiB), so a slow peer costs bounded memory and its window closes.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netstack/stack.hpp"
#include "services/service_spec.hpp"
#include "services/session.hpp"

namespace services {

struct ServiceCounters {
    std::uint64_t connections = 0;     // TCP connections accepted
    std::uint64_t active = 0;          // TCP connections open now
    std::uint64_t bytes_received = 0;  // TCP and UDP payload
    std::uint64_t bytes_sent = 0;
    std::uint64_t datagrams = 0;  // UDP datagrams received
    std::uint64_t requests = 0;   // HTTP requests answered
    std::uint64_t errors = 0;     // connections reset or timed out, failed sends, HTTP 4xx/5xx

    ServiceCounters& operator+=(const ServiceCounters& other);
};

// How the host hears about socket readiness (the daemon's Shard, shmifhost's loop).
class SocketWatcher {
  public:
    virtual ~SocketWatcher() = default;
    virtual void watch(netstack::SocketId socket, std::function<void()> on_event) = 0;
    virtual void unwatch(netstack::SocketId socket) = 0;
};

class ServiceHost {
  public:
    using Clock = std::function<netstack::Instant()>;

    ServiceHost(netstack::Stack& stack, SocketWatcher& watcher, Clock clock);
    ~ServiceHost();  // aborts every connection, closes every socket
    ServiceHost(const ServiceHost&) = delete;
    ServiceHost& operator=(const ServiceHost&) = delete;

    // Opens the service's sockets; an error names the socket call that failed. A service
    // whose port and transport another one uses is refused.
    std::expected<void, std::string> add(const ServiceSpec& spec);
    // Closes the service with this port and transport, aborting its connections. false when
    // there is none.
    bool remove(const ServiceSpec& spec);
    struct Entry {
        ServiceSpec spec;
        ServiceCounters counters;
    };
    std::vector<Entry> list() const;

  private:
    struct Service {
        ServiceSpec spec;
        std::optional<netstack::SocketId> listener;
        std::optional<netstack::SocketId> udp;
        ServiceCounters counters;
    };
    struct Connection {
        netstack::SocketId socket = 0;
        std::uint64_t service = 0;
        std::unique_ptr<Session> session;
        std::vector<std::byte> out;
        std::size_t out_pos = 0, out_len = 0;
        bool eof = false;
        std::uint64_t requests_counted = 0, errors_counted = 0;
    };

    netstack::Stack& stack_;
    SocketWatcher& watcher_;
    Clock clock_;
    std::map<std::uint64_t, Service> services_;
    std::map<netstack::SocketId, Connection> connections_;
    std::uint64_t next_service_ = 1;
    std::vector<std::byte> scratch_;

    void on_listener(std::uint64_t service);
    void on_udp(std::uint64_t service);
    void on_connection(netstack::SocketId socket);
    void pump(Connection& c);
    void count_session(Connection& c, Service& service);
    void finish(netstack::SocketId socket, bool failed);
    void close_service(Service& service);
};

}  // namespace services
