// The Dataplane's test services and TCP queries (declared in dataplane.hpp).
#include <algorithm>

#include "dataplane.hpp"
#include "tcp_json.hpp"

namespace shmifd {

Dataplane::Outcome Dataplane::add_service(const services::ServiceSpec& spec) {
    if (auto why = services::check_service(spec); !why.empty())
        return std::unexpected(control::CommandError{"invalid_args", why});
    for (const auto& s : services_)
        if (services::conflicts(s, spec))
            return std::unexpected(control::CommandError{
                "exists", spec.to_string() + ": the port is served by " + s.to_string()});
    std::vector<std::string> errors(shards_.size());
    auto results = on_every_shard_stopped([&](Shard& shard) {
        auto added = shard.services().add(spec);
        if (added) return 0;
        errors[shard.index()] = added.error();
        return 1;
    });
    auto failed = std::find(results.begin(), results.end(), 1);
    if (failed == results.end()) {
        services_.push_back(spec);
        return {};
    }
    on_every_shard_stopped([&](Shard& shard) {
        if (results[shard.index()] == 0) (void)shard.services().remove(spec);
        return 0;
    });
    return std::unexpected(control::CommandError{
        "failed", errors[static_cast<std::size_t>(failed - results.begin())]});
}

Dataplane::Outcome Dataplane::remove_service(std::uint16_t port, services::Transport transport,
                                             std::optional<services::ServiceKind> kind) {
    auto it = std::find_if(services_.begin(), services_.end(), [&](const auto& s) {
        return s.port == port && s.transport == transport && (!kind || s.kind == *kind);
    });
    if (it == services_.end())
        return std::unexpected(control::CommandError{
            "not_found", "no service on " + std::string(services::transport_name(transport)) +
                             " port " + std::to_string(port)});
    const auto spec = *it;
    on_every_shard_stopped([&](Shard& shard) {
        (void)shard.services().remove(spec);
        return 0;
    });
    services_.erase(it);
    return {};
}

nlohmann::json Dataplane::services_json() {
    std::vector<std::vector<services::ServiceHost::Entry>> per_shard(shards_.size());
    on_every_shard([&](Shard& shard) { per_shard[shard.index()] = shard.services().list(); });
    nlohmann::json list = nlohmann::json::array();
    for (const auto& spec : services_) {
        services::ServiceCounters total;
        for (const auto& entries : per_shard)
            for (const auto& e : entries)
                if (e.spec == spec) total += e.counters;
        auto row = to_json(spec);
        row.update(to_json(total));
        list.push_back(std::move(row));
    }
    return {{"services", list}};
}

nlohmann::json Dataplane::tcp_json() {
    std::vector<std::vector<netstack::TcpInfo>> per_shard(shards_.size());
    on_every_shard(
        [&](Shard& shard) { per_shard[shard.index()] = shard.stack().tcp_connections(); });
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t i = 0; i < per_shard.size(); ++i) {
        for (const auto& info : per_shard[i]) {
            auto row = to_json(info);
            row["worker"] = workers_[i];
            row["shard"] = i;
            list.push_back(std::move(row));
        }
    }
    return {{"connections", list}};
}

}  // namespace shmifd
