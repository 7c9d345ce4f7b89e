// A UDP forward's port on one shard: datagrams from each peer on the listening side form a
// flow, with a socket of its own on the target's side, so that replies find their way back;
// a flow without a datagram either way for the forward's udp_timeout_ms ends.
//
//   InboundUdp  (--forward udp:...): a host UDP socket receives; each host peer's flow has a
//               socket in this shard's stack (an ephemeral port this shard owns), connected
//               to the virtual target. Replies go back from the host socket.
//   OutboundUdp (--expose udp:...): a socket in the stack receives (on the shard that owns its
//               port); each virtual peer's flow has a host UDP socket connected to the host
//               target. Replies go back from the stack's socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "forward_state.hpp"
#include "netstack/stack.hpp"

namespace shmifd::forward {

class ShardForwards;

class UdpFlows {
  public:
    UdpFlows(ShardForwards& owner, std::shared_ptr<ForwardState> state, std::uint16_t port_index);
    virtual ~UdpFlows();
    UdpFlows(const UdpFlows&) = delete;
    UdpFlows& operator=(const UdpFlows&) = delete;

    // Opens the listening side; the error says why not.
    virtual std::expected<void, std::string> start() = 0;
    std::uint64_t forward() const { return state_->id; }

  protected:
    struct Flow {
        std::shared_ptr<sockets::SockRecord> record;
        netstack::Endpoint peer;                         // on the listening side
        std::optional<netstack::SocketId> stack_socket;  // inbound
        int host_fd = -1;                                // outbound
        std::chrono::steady_clock::time_point last;
    };

    // The flow of `peer`, made if there is none and the limits allow; null if refused.
    Flow* flow_for(netstack::Endpoint peer);
    // What a flow holds on its target's side: made by the subclass, closed by it.
    virtual bool open_target(Flow& flow) = 0;
    virtual void close_target(Flow& flow) = 0;
    void end(netstack::Endpoint peer, const std::string& why);
    // Every flow ends: the subclass's destructor calls it (close_target is its own).
    void end_all();
    void touch(Flow& flow) { flow.last = std::chrono::steady_clock::now(); }
    static void count_to_virtual(Flow& f, std::size_t n) { f.record->bytes_out += n; }
    static void count_to_host(Flow& f, std::size_t n) { f.record->bytes_in += n; }

    ShardForwards& owner_;
    std::shared_ptr<ForwardState> state_;
    std::uint16_t port_index_;
    std::vector<std::byte> buffer_;
    std::map<netstack::Endpoint, Flow> flows_;

  private:
    void sweep();
    void schedule_sweep();
    std::uint64_t sweep_timer_ = 0;
    bool sweeping_ = false;
};

class InboundUdp final : public UdpFlows {
  public:
    // `host_fd`: the bound host socket (owned from now on).
    InboundUdp(ShardForwards& owner, std::shared_ptr<ForwardState> state, std::uint16_t port_index,
               int host_fd);
    ~InboundUdp() override;
    std::expected<void, std::string> start() override;

  private:
    bool open_target(Flow& flow) override;
    void close_target(Flow& flow) override;
    void from_host();
    void from_virtual(netstack::Endpoint peer);

    int host_fd_;
};

class OutboundUdp final : public UdpFlows {
  public:
    OutboundUdp(ShardForwards& owner, std::shared_ptr<ForwardState> state,
                std::uint16_t port_index);
    ~OutboundUdp() override;
    std::expected<void, std::string> start() override;

  private:
    bool open_target(Flow& flow) override;
    void close_target(Flow& flow) override;
    void from_virtual();
    void from_host(netstack::Endpoint peer);

    std::optional<netstack::SocketId> socket_;
};

}  // namespace shmifd::forward
