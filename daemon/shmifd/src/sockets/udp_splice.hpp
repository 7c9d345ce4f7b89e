// One UDP socket of the socket service on its shard: datagrams from the client's
// SOCK_SEQPACKET end (each behind a shmifsock_dgram header naming the destination) are sent
// from the stack's socket, and datagrams the socket receives go to the client behind a
// header naming their source. A datagram the client's end has no room for is dropped and
// counted, as a full socket buffer drops it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netstack/stack.hpp"
#include "socket_record.hpp"

namespace shmifd {
class Shard;
}

namespace shmifd::sockets {

class ShardSockets;

class UdpSplice {
  public:
    UdpSplice(Shard& shard, ShardSockets& owner, std::shared_ptr<SockRecord> record, int fd);
    ~UdpSplice();
    UdpSplice(const UdpSplice&) = delete;
    UdpSplice& operator=(const UdpSplice&) = delete;

    bool start();
    // Binds the stack's socket now (port 0: an ephemeral port this shard owns).
    std::expected<netstack::Endpoint, netstack::SocketError> bind(netstack::Endpoint local);
    // Fixes the peer; none: forgets it (connect with AF_UNSPEC). Returns the local end.
    std::expected<netstack::Endpoint, netstack::SocketError> connect(
        std::optional<netstack::Endpoint> remote);
    std::optional<netstack::SocketId> socket() const { return socket_; }
    const SockRecord& record() const { return *record_; }
    void close();
    // Ends the data path here but keeps the descriptor open: returns it.
    int release();

  private:
    void on_fd(std::uint32_t events);
    void on_stack();
    void from_client();
    void to_client();
    // An ICMP error the stack holds for the socket: to the client's next receive.
    void report_icmp_error();
    void note_error(const std::string& name);
    void sent_or_note(const std::expected<void, netstack::SocketError>& sent, std::size_t size);
    void finish();

    Shard& shard_;
    ShardSockets& owner_;
    std::shared_ptr<SockRecord> record_;
    int fd_;
    std::optional<netstack::SocketId> socket_;
    std::vector<std::byte> buffer_;
    bool finished_ = false;
};

}  // namespace shmifd::sockets
