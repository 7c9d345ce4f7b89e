// A worker's share of the daemon: its own netstack::Stack shard, its own link (cursor and
// device) on every interface, its timers, its mailbox, and the socket jobs (ping, udp.recv)
// it runs. It is the one engine::Source of its worker: everything in it is touched only by
// that worker's thread, from its poll, from a posted command, or from a stop function.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conflict_log.hpp"
#include "forward/shard_forwards.hpp"
#include "netstack/stack.hpp"
#include "services/service_host.hpp"
#include "services/watch_table.hpp"
#include "shard_link.hpp"
#include "shmifd/engine/command_queue.hpp"
#include "shmifd/engine/source.hpp"
#include "shmifd/engine/timer_queue.hpp"
#include "sockets/shard_sockets.hpp"

namespace shmifd {

// Something running on a shard that answers a request later (a ping, a udp.recv).
class ShardJob {
  public:
    virtual ~ShardJob() = default;
    // The daemon is going away: answer now (shutting_down) and release sockets.
    virtual void cancel() = 0;
};

class Shard final : public engine::Source {
  public:
    Shard(const netstack::StackConfig& config, std::size_t index);
    ~Shard() override;

    std::size_t index() const { return index_; }
    netstack::Stack& stack() { return stack_; }
    engine::TimerQueue& timers() { return timers_; }
    engine::CommandQueue::Poster poster() const { return commands_.poster(); }
    // The test services this shard serves (its share of every listener).
    services::ServiceHost& services() { return *services_; }
    // Its part of the socket service (sockets/): the data paths of test processes' sockets.
    sockets::ShardSockets& sockets() { return *sockets_; }
    // Its part of port forwarding (forward/): host listeners, stack listeners, splices.
    forward::ShardForwards& forwards() { return *forwards_; }

    // --- interfaces (from stop functions) --------------------------------------------------
    std::expected<netstack::InterfaceId, netstack::ConfigError> attach(
        std::unique_ptr<ShardLink> link, const netstack::InterfaceConfig& config);
    void detach(const std::string& name);
    ShardLink* link(const std::string& name);
    const std::vector<std::unique_ptr<ShardLink>>& links() const { return links_; }
    std::string interface_name(netstack::InterfaceId id) const;

    // --- jobs and socket readiness ---------------------------------------------------------
    // `on_event` runs after frames are handled whenever the socket has news.
    void watch(netstack::SocketId socket, std::function<void()> on_event);
    void unwatch(netstack::SocketId socket);
    void start_job(std::shared_ptr<ShardJob> job);
    void finish_job(const ShardJob* job);
    void cancel_jobs();
    std::size_t jobs() const { return jobs_.size(); }

    // Runs the stack's due timers and delivers socket events; jobs call it after they
    // sent, so that what their send caused is seen at once.
    void service(netstack::Instant now);

    // --- engine::Source --------------------------------------------------------------------
    std::size_t poll(std::size_t budget) override;
    bool arm(engine::WaitSet& set) override;
    void disarm() override;
    std::string_view name() const override { return name_; }

  private:
    // Frames this shard's stack dropped so far because another shard owns their flow.
    std::uint64_t frames_for_other_shards() const;

    // Napping on a bus busy with other shards' flows (see arm()).
    static constexpr std::uint32_t kQuietPollsBeforeNap = 32;
    static constexpr std::chrono::microseconds kNap{200};
    std::uint32_t quiet_polls_ = 0;
    bool napped_ = false;  // the last sleep was a nap

    std::size_t index_;
    std::string name_;
    netstack::Stack stack_;
    engine::CommandQueue commands_;
    engine::TimerQueue timers_;
    std::vector<std::unique_ptr<ShardLink>> links_;
    services::WatchTable watches_;
    std::vector<std::shared_ptr<ShardJob>> jobs_;
    ConflictLog conflicts_;  // shard 0: address conflicts the stack defended, as warnings
    // Last: its sockets live in stack_ and its watches in watches_.
    std::unique_ptr<services::ServiceHost> services_;
    std::unique_ptr<sockets::ShardSockets> sockets_;
    std::unique_ptr<forward::ShardForwards> forwards_;  // uses sockets_'s reactor
};

}  // namespace shmifd
