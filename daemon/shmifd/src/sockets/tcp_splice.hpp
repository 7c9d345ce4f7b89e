// One TCP connection of the socket service on its shard: moves bytes between the daemon's
// end of the client's socketpair and the connection in the stack, with back-pressure both
// ways (a full send buffer stops reading the pair; a full pair stops reading the stack, whose
// window then closes). Also finishes a connect: the filler bytes of a fresh pair are taken
// once established, which makes the client's descriptor writable (daemon/PROTOCOL.md).
//
// Urgent data crosses as the kernel's sockets carry it: the peer's out-of-band byte is sent
// to the descriptor with MSG_OOB once everything before it went there (AF_UNIX stream
// sockets take MSG_OOB since Linux 5.15), and a byte the client sent with MSG_OOB, found by
// the StreamReader, is sent urgent.
//
// Port forwarding runs the same splice between a host TCP socket and a connection in the
// stack; there a reset is carried across both ways (SpliceEnd::host_tcp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netstack/stack.hpp"
#include "socket_record.hpp"
#include "splice_owner.hpp"
#include "stream_reader.hpp"

namespace shmifd {
class Shard;
}

namespace shmifd::sockets {

// What the descriptor is the end of.
enum class SpliceEnd : std::uint8_t {
    client_pair,  // a test process's socketpair: a reset becomes SO_ERROR (PROTOCOL.md)
    host_tcp,     // a host TCP connection: resets cross both ways, as a proxy carries them
};

class TcpSplice {
  public:
    // `connected`: an accepted connection (no filler, nothing to wait for).
    TcpSplice(Shard& shard, SpliceOwner& owner, std::shared_ptr<SockRecord> record, int fd,
              netstack::SocketId socket, bool connected, SpliceEnd end = SpliceEnd::client_pair);
    ~TcpSplice();
    TcpSplice(const TcpSplice&) = delete;
    TcpSplice& operator=(const TcpSplice&) = delete;

    // Registers with the shard's reactor and the stack's events.
    bool start();
    netstack::SocketId socket() const { return socket_; }
    SockRecord& record() { return *record_; }
    // The daemon stops: abort the connection and let the client see a reset.
    void abort();

  private:
    void on_fd(std::uint32_t events);
    void on_stack();
    void pump();
    bool drain_filler();
    bool to_client();
    bool to_network();
    // The peer's out-of-band byte, when the stack's reader stands at its mark. False while
    // the descriptor cannot take it.
    bool urgent_to_client();
    // The connection failed or was reset: tell the client (SO_ERROR, a waiting connect, the
    // pair closed) and end.
    void fail(netstack::SocketError error);
    // SpliceEnd::host_tcp: the host's socket failed with `error` (reset, refused).
    void host_failed(int error);
    void finish(const std::string& last_error);
    void connected();

    Shard& shard_;
    SpliceOwner& owner_;
    std::shared_ptr<SockRecord> record_;
    int fd_;  // ours alone (never passed on): closing it takes it out of the reactor's set
    netstack::SocketId socket_;
    bool connected_;
    SpliceEnd end_;
    StreamReader reader_;  // the descriptor's side, with the client's out-of-band byte
    int filler_left_ = 0;
    bool fd_writable_ = true;
    bool client_gone_ = false;    // both directions hung up: the client closed every copy
    bool client_eof_ = false;     // read 0: the client shut down writing (or closed)
    bool fin_sent_ = false;       // our FIN queued after the client's end of stream
    bool peer_eof_ = false;       // the stack said end of stream
    bool eof_delivered_ = false;  // and the pair was shut down for writing
    bool finished_ = false;
    std::optional<std::byte> oob_to_client_{};  // taken from the stack, not yet sent
    // The peer's out-of-band byte, sent as data where the descriptor takes no MSG_OOB.
    std::optional<std::byte> inline_to_client_{};
};

}  // namespace shmifd::sockets
