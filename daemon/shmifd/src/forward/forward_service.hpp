// shmifd's port forwarding (daemon/PROTOCOL.md, "Port forwarding"): the running forwards,
// added and removed at run time (fwd.add, fwd.del, the TOML file on SIGHUP). Its methods run
// on the reconfiguration thread; what touches a stack or a host socket's data path runs on a
// shard (ShardForwards), which this posts to and waits for.
#pragma once

#include <cstddef>
#include <expected>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "forward_context.hpp"
#include "forward_spec.hpp"
#include "forward_state.hpp"
#include "shmifd/control/handler.hpp"

namespace shmifd {
class Dataplane;
}

namespace shmifd::forward {

class ForwardService {
  public:
    using Outcome = std::expected<void, control::CommandError>;

    // `max_total_connections`: [daemon] forward_max_connections.
    explicit ForwardService(std::size_t max_total_connections);
    ~ForwardService();
    ForwardService(const ForwardService&) = delete;
    ForwardService& operator=(const ForwardService&) = delete;

    // Once the workers run: every shard learns the context.
    void start(Dataplane& dataplane);

    // Starts listening (every port of the range, or none): a host port that is taken, or a
    // stack port already listened on, is refused with the reason.
    Outcome add(const ForwardSpec& spec);
    // The forward named by the spec's direction and text (limits aside): its listeners close
    // now; its connections run to their end, or are reset with `kill`.
    Outcome remove(const ForwardSpec& spec, bool kill);
    // The running forwards, in the order they were added.
    std::vector<ForwardSpec> specs() const;
    // Every forward with its counters and live connections; deleted ones while connections
    // remain (PROTOCOL.md's shape).
    nlohmann::json list_json();

  private:
    // Runs fn on every shard and waits; per-shard results (an error string when it could
    // not run there).
    std::vector<std::expected<void, std::string>> on_every_shard(
        const std::function<std::expected<void, std::string>(ShardForwards&)>& fn);
    Outcome add_inbound(const std::shared_ptr<ForwardState>& state);
    Outcome add_outbound(const std::shared_ptr<ForwardState>& state);

    ForwardContext context_;
    ConnectionBudget budget_;
    std::uint64_t next_id_ = 1;
    std::vector<std::shared_ptr<ForwardState>> forwards_;
    std::vector<std::shared_ptr<ForwardState>> draining_;  // deleted, connections remain
};

}  // namespace shmifd::forward
