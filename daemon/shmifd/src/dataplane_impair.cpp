// Dataplane's impairments: netem-style settings per interface and direction, applied to
// every shard's link (impair_slot.hpp), and what they did (daemon/PROTOCOL.md, impair.*).
#include <algorithm>
#include <array>
#include <map>

#include "dataplane.hpp"

namespace shmifd {

namespace {

const char* direction_name(ImpairDirection d) {
    return d == ImpairDirection::egress ? "egress" : "ingress";
}

nlohmann::json counters_json(const shmif::impair::Counters& c) {
    nlohmann::json j;
#define SHMIF_IMPAIR_JSON(name, what) j[#name] = c.name;
    SHMIF_IMPAIR_COUNTERS(SHMIF_IMPAIR_JSON)
#undef SHMIF_IMPAIR_JSON
    j["queued"] = c.queued;
    return j;
}

}  // namespace

shmif::impair::Settings Dataplane::shard_impairment(const InterfaceState& state,
                                                    ImpairDirection direction,
                                                    const shmif::impair::Settings& settings,
                                                    std::size_t shard) const {
    shmif::impair::Settings s = settings;
    const std::uint64_t base = settings.seed.value_or(state.impair_seed);
    if (direction == ImpairDirection::ingress) {
        s.seed = base;  // the same decisions on every shard: they all read the same frames
    } else {
        s.seed = base + shard;
        if (s.rate_bps > 0) s.rate_bps = std::max<std::uint64_t>(1, s.rate_bps / shards_.size());
    }
    return s;
}

Dataplane::Outcome Dataplane::set_impairment(const std::string& name, ImpairDirection direction,
                                             const shmif::impair::Settings& settings) {
    InterfaceState* state = find_mutable(name);
    if (!state) return std::unexpected(control::CommandError{"not_found", "no interface " + name});
    auto& egress = state->spec.impair_egress;
    auto& ingress = state->spec.impair_ingress;
    // lo's shortcuts (netstack::LoopbackShortcuts) only while nothing there needs every frame
    // whole: as Linux's netem sums a segment before it flips a bit of it, TCP is summed and
    // checked while either direction corrupts; and no segment bypasses lo while it has any
    // impairment, which must see them all.
    const auto& other = direction == ImpairDirection::egress ? ingress : egress;
    const netstack::LoopbackShortcuts shortcuts{
        .checksum = settings.corrupt.probability == 0 && other.corrupt.probability == 0,
        .bypass = settings.none() && other.none()};
    on_every_shard_stopped([&](Shard& shard) {
        ShardLink* link = shard.link(name);
        link->impairment(direction).set(
            shard_impairment(*state, direction, settings, shard.index()));
        if (state->loopback) (void)shard.stack().set_loopback_shortcuts(link->id, shortcuts);
        return 0;
    });
    (direction == ImpairDirection::egress ? egress : ingress) = settings;
    return {};
}

std::expected<nlohmann::json, control::CommandError> Dataplane::impairments_json(
    std::optional<std::string> interface) {
    if (interface && !find(*interface))
        return std::unexpected(control::CommandError{"not_found", "no interface " + *interface});
    // Per shard, per interface: written by each shard into its own row.
    std::vector<std::map<std::string, std::array<shmif::impair::Counters, 2>>> rows(shards_.size());
    on_every_shard([&](Shard& shard) {
        for (const auto& link : shard.links())
            rows[shard.index()][link->name()] = {
                link->impairment(ImpairDirection::egress).counters(),
                link->impairment(ImpairDirection::ingress).counters()};
    });
    nlohmann::json list = nlohmann::json::array();
    for (const auto& state : interfaces_) {
        if (interface && state.spec.name != *interface) continue;
        nlohmann::json entry{{"name", state.spec.name}};
        for (auto d : {ImpairDirection::egress, ImpairDirection::ingress}) {
            const auto& settings =
                d == ImpairDirection::egress ? state.spec.impair_egress : state.spec.impair_ingress;
            shmif::impair::Counters counters;
            for (const auto& row : rows) {
                auto it = row.find(state.spec.name);
                if (it == row.end()) continue;
                if (d == ImpairDirection::egress)
                    counters += it->second[0];
                else if (&row == &rows.front())
                    counters = it->second[1];
            }
            entry[direction_name(d)] = {{"netem", shmif::impair::format_netem(settings)},
                                        {"seed", settings.seed.value_or(state.impair_seed)},
                                        {"counters", counters_json(counters)}};
        }
        list.push_back(std::move(entry));
    }
    return nlohmann::json{{"interfaces", list}};
}

}  // namespace shmifd
