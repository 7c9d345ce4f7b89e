#include "forward_service.hpp"

#include <unistd.h>

#include <algorithm>
#include <future>

#include "dataplane.hpp"
#include "host_socket.hpp"
#include "shard_forwards.hpp"

namespace shmifd::forward {

namespace {

control::CommandError refused(const std::string& why) {
    return {"failed", why};
}

nlohmann::json connection_json(std::uint64_t id, const ForwardConnection& c) {
    const auto& r = *c.record;
    nlohmann::json row{{"id", id},
                       {"host", c.host_peer.to_string()},
                       {"bytes_to_virtual", r.bytes_out.load(std::memory_order_relaxed)},
                       {"bytes_to_host", r.bytes_in.load(std::memory_order_relaxed)}};
    std::lock_guard lock(r.mutex);
    row["state"] = r.state;
    if (r.shard) row["shard"] = *r.shard;
    if (r.local) row["local"] = r.local->to_string();
    if (r.remote) row["remote"] = r.remote->to_string();
    return row;
}

nlohmann::json forward_json(ForwardState& state, bool deleted) {
    const auto& spec = state.spec;
    const auto& c = state.counters;
    nlohmann::json live = nlohmann::json::array();
    std::uint64_t to_virtual = c.bytes_to_virtual.load(), to_host = c.bytes_to_host.load();
    for (const auto& [id, connection] : state.connections()) {
        to_virtual += connection.record->bytes_out.load(std::memory_order_relaxed);
        to_host += connection.record->bytes_in.load(std::memory_order_relaxed);
        live.push_back(connection_json(id, connection));
    }
    return {{"direction", direction_name(spec.direction)},
            {"proto", protocol_name(spec.protocol)},
            {"spec", spec.to_string()},
            {"listen", spec.listen(0).to_string()},
            {"target", spec.target(0).to_string()},
            {"ports", spec.count},
            {"max_connections", spec.max_connections},
            {"udp_timeout_ms", spec.udp_timeout_ms},
            {"deleted", deleted},
            {"active", state.live()},
            {"connections", c.connections.load()},
            {"refused", c.refused.load()},
            {"failed", c.failed.load()},
            {"fd_exhausted", c.fd_exhausted.load()},
            {"bytes_to_virtual", to_virtual},
            {"bytes_to_host", to_host},
            {"live", std::move(live)}};
}

}  // namespace

ForwardService::ForwardService(std::size_t max_total_connections)
    : budget_(max_total_connections) {}

ForwardService::~ForwardService() = default;

void ForwardService::start(Dataplane& dataplane) {
    context_.posters = dataplane.posters();
    for (auto* shard : dataplane.shards())
        context_.shards.push_back(&shard->forwards());
    for (auto* shard : context_.shards)
        shard->attach(&context_);
}

std::vector<std::expected<void, std::string>> ForwardService::on_every_shard(
    const std::function<std::expected<void, std::string>(ShardForwards&)>& fn) {
    std::vector<std::future<std::expected<void, std::string>>> futures;
    for (std::size_t i = 0; i < context_.shards.size(); ++i) {
        auto promise = std::make_shared<std::promise<std::expected<void, std::string>>>();
        futures.push_back(promise->get_future());
        // Not run (the shard is gone): the promise is dropped, and get() throws.
        (void)context_.post(i, [promise, &fn](ShardForwards& s) { promise->set_value(fn(s)); });
    }
    std::vector<std::expected<void, std::string>> results;
    for (auto& f : futures) {
        try {
            results.push_back(f.get());
        } catch (const std::future_error&) {
            results.push_back(std::unexpected(std::string("the daemon is stopping")));
        }
    }
    return results;
}

ForwardService::Outcome ForwardService::add(const ForwardSpec& spec) {
    if (auto why = check_limits(spec); !why.empty())
        return std::unexpected(control::CommandError{"invalid_args", why});
    for (const auto& f : forwards_)
        if (overlaps(f->spec, spec))
            return std::unexpected(control::CommandError{
                "exists", spec.name() + ": its ports overlap " + f->spec.name()});
    auto state = std::make_shared<ForwardState>(next_id_++, spec, budget_);
    auto added = spec.direction == Direction::inbound ? add_inbound(state) : add_outbound(state);
    if (added) forwards_.push_back(std::move(state));
    return added;
}

ForwardService::Outcome ForwardService::add_inbound(const std::shared_ptr<ForwardState>& state) {
    const bool tcp = state->spec.protocol == Protocol::tcp;
    // Every port's socket first, here, so that a taken port refuses the whole forward.
    std::vector<int> listeners;
    for (std::uint16_t i = 0; i < state->spec.count; ++i) {
        auto fd = tcp ? listen_tcp(state->spec.listen(i)) : bind_udp(state->spec.listen(i));
        if (!fd) {
            for (int l : listeners)
                ::close(l);
            return std::unexpected(refused(state->spec.name() + ": " + fd.error()));
        }
        listeners.push_back(*fd);
    }
    // The ports are spread over the shards; connections run where they are accepted unless
    // that shard carries clearly more than another (ShardForwards::placement).
    for (std::uint16_t i = 0; i < state->spec.count; ++i) {
        const int fd = listeners[i];
        const auto shard = (state->id + i) % context_.shards.size();
        const bool posted = context_.post(shard, [state, fd, i, tcp](ShardForwards& s) {
            if (tcp)
                s.watch_host_listener(state, fd, i);
            else
                (void)s.watch_udp_host(state, fd, i);
        });
        if (!posted) ::close(fd);
    }
    return {};
}

ForwardService::Outcome ForwardService::add_outbound(const std::shared_ptr<ForwardState>& state) {
    const bool tcp = state->spec.protocol == Protocol::tcp;
    const auto results = on_every_shard(
        [&](ShardForwards& s) { return tcp ? s.listen(state) : s.listen_udp(state); });
    auto failed = std::find_if(results.begin(), results.end(), [](const auto& r) { return !r; });
    if (failed == results.end()) return {};
    const auto id = state->id;
    on_every_shard([id](ShardForwards& s) -> std::expected<void, std::string> {
        s.stop(id, true);
        return {};
    });
    return std::unexpected(refused(state->spec.name() + ": " + failed->error()));
}

ForwardService::Outcome ForwardService::remove(const ForwardSpec& spec, bool kill) {
    auto it = std::find_if(forwards_.begin(), forwards_.end(), [&](const auto& f) {
        return f->spec.direction == spec.direction && f->spec.to_string() == spec.to_string();
    });
    if (it == forwards_.end())
        return std::unexpected(control::CommandError{"not_found", "no " + spec.name()});
    auto state = *it;
    forwards_.erase(it);
    state->stopping.store(true);
    const auto id = state->id;
    on_every_shard([id, kill](ShardForwards& s) -> std::expected<void, std::string> {
        s.stop(id, kill);
        return {};
    });
    if (state->live() > 0) draining_.push_back(std::move(state));
    return {};
}

std::vector<ForwardSpec> ForwardService::specs() const {
    std::vector<ForwardSpec> out;
    for (const auto& f : forwards_)
        out.push_back(f->spec);
    return out;
}

nlohmann::json ForwardService::list_json() {
    std::erase_if(draining_, [](const auto& f) { return f->live() == 0; });
    nlohmann::json list = nlohmann::json::array();
    for (const auto& f : forwards_)
        list.push_back(forward_json(*f, false));
    for (const auto& f : draining_)
        list.push_back(forward_json(*f, true));
    return {{"forwards", std::move(list)},
            {"connections", budget_.used()},
            {"max_connections", budget_.limit()}};
}

}  // namespace shmifd::forward
