// One virtual socket of the socket service (daemon/PROTOCOL.md, "The socket service"): what
// the control thread and the shards share about it. The data path (splices, listeners) lives
// on the shards; this is the part requests read and the shards report into.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "netstack/address.hpp"
#include "netstack/tcp.hpp"
#include "shmifd/control/handler.hpp"

namespace shmifd::sockets {

enum class SockType : std::uint8_t { tcp, udp };
const char* type_name(SockType type);

// The client's address family (socket(2)'s domain): what addresses it names and is shown;
// the stack is always spoken to in the stack's own families (socket_family.hpp).
enum class SockDomain : std::uint8_t { inet, inet6 };
const char* domain_name(SockDomain domain);  // "inet", "inet6"

// Options a client set; applied when the socket reaches a shard, and on the shard after.
struct SockOptions {
    netstack::TcpSocketOptions tcp{};
    bool reuse_address = false;
    bool broadcast = false;
    int linger_seconds = -1;  // SO_LINGER: -1 off; 0 = abort on close
    std::size_t udp_receive_buffer = 0;
    std::size_t udp_send_buffer = 0;
    bool v6_only = false;  // IPV6_V6ONLY (inet6 only): no IPv4 peers through ::ffff:a.b.c.d

    // What the stack's TCP socket is given: the TCP options and IPV6_V6ONLY.
    netstack::TcpSocketOptions stack_tcp() const {
        auto options = tcp;
        options.v6_only = v6_only;
        return options;
    }
};

// A connection a listener has ready for sock.accept.
struct ReadyConnection {
    std::uint64_t sock = 0;
    control::OwnedFds client_end;
    netstack::Endpoint local{};
    netstack::Endpoint remote{};
};

struct SockRecord {
    // The forwarders' records (forward/) are inet: the default.
    SockRecord(std::uint64_t id_, SockType type_, std::int64_t pid_, std::uint64_t client_,
               SockDomain domain_ = SockDomain::inet)
        : id(id_), type(type_), domain(domain_), pid(pid_), client(client_) {}

    const std::uint64_t id;
    const SockType type;
    const SockDomain domain;
    const std::int64_t pid;                   // the process that opened it (or its listener's)
    const std::uint64_t client;               // the control connection that opened it
    std::atomic<std::uint64_t> bytes_in{0};   // from the network to the client
    std::atomic<std::uint64_t> bytes_out{0};  // from the client to the network
    std::atomic<std::uint64_t> drops{0};      // UDP datagrams the descriptor had no room for

    // Everything below under `mutex`.
    mutable std::mutex mutex;
    std::string state = "open";        // "open", "bound", "listening", "SYN-SENT", ...
    std::optional<std::size_t> shard;  // where its data path runs; none: not yet (or all)
    // As the stack knows them (an inet6 socket's IPv4 peer is IPv4 here): socket_family.hpp
    // shows them to the client.
    std::optional<netstack::Endpoint> local;
    std::optional<netstack::Endpoint> remote;
    SockOptions options;
    std::string pending_error;          // errno name for SO_ERROR, cleared when read
    std::size_t backlog = 0;            // listeners
    std::size_t backlog_shares = 0;     // listeners: shards still holding a share
    std::deque<ReadyConnection> ready;  // listeners: accepted, not yet with the client
    std::size_t accepting = 0;          // listeners: places shards took to accept one (has_room)
    // Listeners that hand connections off on their descriptor (accept_handoff.hpp).
    bool handoff = false;
    std::size_t records_unread = 0;  // records sent that the client has not acknowledged
    std::size_t unannounced = 0;     // the newest entries of `ready`, no record sent yet
    int junk = 0;                    // filler bytes in a fresh stream pair (PROTOCOL.md)
    int daemon_end = -1;             // until a shard's data path owns it
    bool placed = false;             // a shard's data path owns daemon_end
    bool closed = false;             // the data path ended; only the tombstone remains
    // A blocking connect waiting for the handshake (answered by the shard).
    std::optional<control::Done> connect_waiter;
};

// Whether the client closed every copy of the socket's descriptor (the shard may not have
// seen the hang-up yet): such a socket is on its way out and, as close() does in the kernel,
// no longer holds its port. Under r.mutex.
bool client_gone(const SockRecord& r);

}  // namespace shmifd::sockets
