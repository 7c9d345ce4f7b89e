#include "dataplane.hpp"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>

#include "address_probe.hpp"
#include "config_json.hpp"
#include "stats_json.hpp"

namespace shmifd {

namespace {

// 64-bit ids in JSON are hex strings ("0x..."), as the tools print and take them (--sender):
// a JSON number past 2^53 loses digits in most parsers.
std::string sender_text(std::uint64_t sender) {
    char text[24];
    std::snprintf(text, sizeof text, "%#" PRIx64, sender);
    return text;
}

control::CommandError error_of(netstack::ConfigError e, const std::string& what) {
    switch (e) {
        case netstack::ConfigError::no_such_interface:
        case netstack::ConfigError::not_found:
            return {"not_found", what + ": " + netstack::describe(e)};
        case netstack::ConfigError::duplicate_name:
        case netstack::ConfigError::exists:
            return {"exists", what + ": " + netstack::describe(e)};
        case netstack::ConfigError::invalid:
            return {"invalid_args", what + ": " + netstack::describe(e)};
    }
    return {"failed", what};
}

control::CommandError no_interface(const std::string& name) {
    return {"not_found", "no interface " + name};
}

std::uint64_t random_seed() {
    std::random_device device;
    return (std::uint64_t(device()) << 32) | device();
}

netstack::StackConfig shard_config(netstack::StackConfig config, std::size_t index,
                                   std::size_t count, std::uint64_t seed) {
    config.shard = {static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(count)};
    // Distinct per shard, so two shards never pick the same IP ids towards one host.
    config.seed = seed + 0x9e3779b97f4a7c15ull * (index + 1);
    return config;
}

// The largest IP MTU the bus carries (its max frame less the Ethernet header), and the MTU an
// interface gets unless told: Ethernet's 1500, what a TAP bridged onto the bus (and the kernel
// behind it) expects; jumbo frames between our own stacks are a configuration choice.
std::size_t link_mtu_of(const shmif::Bus& bus) {
    return bus.max_frame() > 14 ? bus.max_frame() - 14 : 0;
}

std::size_t default_mtu_of(const shmif::Bus& bus) {
    return std::min<std::size_t>(link_mtu_of(bus), 1500);
}

}  // namespace

Dataplane::Dataplane(const netstack::StackConfig& stack, std::size_t workers, bool pin, Log log)
    : log_(std::move(log)),
      probe_wait_(std::chrono::duration_cast<std::chrono::milliseconds>(stack.arp.probe_wait)),
      forwarding_(stack.forwarding),
      // Daemons on one machine share the CPUs out rather than all pinning to the first.
      pool_(engine::PoolOptions{
          .workers = workers, .pin = pin, .cpu_claims = "shmifd-cpu", .log = log_}) {
    workers_ = pool_.workers();
    const auto seed = random_seed();
    for (std::size_t i = 0; i < workers_.size(); ++i) {
        auto shard = std::make_unique<Shard>(shard_config(stack, i, workers_.size(), seed), i);
        shards_.push_back(shard.get());
        posters_.push_back(shard->poster());
        if (auto added = pool_.add_source(workers_[i], std::move(shard)); !added)
            throw std::runtime_error("cannot start worker " + std::to_string(workers_[i]) + ": " +
                                     engine::describe(added.error()));
    }
}

Dataplane::~Dataplane() {
    cancel_jobs();
}

std::size_t Dataplane::index_of(engine::WorkerId worker) const {
    return static_cast<std::size_t>(std::find(workers_.begin(), workers_.end(), worker) -
                                    workers_.begin());
}

std::vector<int> Dataplane::on_every_shard_stopped(const std::function<int(Shard&)>& fn) {
    std::vector<int> results(shards_.size(), 0);
    auto stopped = pool_.stop_machine(
        [&](engine::WorkerId w) {
            const auto i = index_of(w);
            results[i] = fn(*shards_[i]);
            return results[i];
        },
        workers_);
    if (!stopped)
        throw std::runtime_error("stop_machine failed: " + engine::describe(stopped.error()));
    return results;
}

void Dataplane::on_every_shard(const std::function<void(Shard&)>& fn) {
    auto stopped = pool_.stop_many(workers_, [&](engine::WorkerId w) {
        fn(*shards_[index_of(w)]);
        return 0;
    });
    if (!stopped)
        throw std::runtime_error("stopping the workers failed: " +
                                 engine::describe(stopped.error()));
}

Dataplane::Outcome Dataplane::apply(
    const std::function<std::expected<void, netstack::ConfigError>(Shard&)>& change,
    const std::function<void(Shard&)>& undo, const std::string& what) {
    auto results = on_every_shard_stopped([&](Shard& shard) {
        auto r = change(shard);
        return r ? 0 : static_cast<int>(r.error());
    });
    auto failed = std::find_if(results.begin(), results.end(), [](int r) { return r != 0; });
    if (failed == results.end()) return {};
    // The shards disagree only if one of them was in a state the others were not; put the
    // ones that changed back so that all stay alike.
    on_every_shard_stopped([&](Shard& shard) {
        if (results[shard.index()] == 0) undo(shard);
        return 0;
    });
    return std::unexpected(error_of(static_cast<netstack::ConfigError>(*failed), what));
}

const InterfaceState* Dataplane::find(const std::string& name) const {
    for (const auto& i : interfaces_)
        if (i.spec.name == name) return &i;
    return nullptr;
}

InterfaceState* Dataplane::find_mutable(const std::string& name) {
    return const_cast<InterfaceState*>(std::as_const(*this).find(name));
}

Dataplane::Outcome Dataplane::add_interface(InterfaceSpec spec) {
    if (find(spec.name))
        return std::unexpected(
            control::CommandError{"exists", "interface " + spec.name + " exists"});
    for (const auto& i : interfaces_)
        if (i.spec.bus == spec.bus)
            return std::unexpected(control::CommandError{
                "exists", "bus " + spec.bus + " is already attached as " + i.spec.name});

    if (spec.create) {
        // A bus in a directory nobody made yet (the default one, a fresh test dir): make it.
        std::error_code ignored;
        std::filesystem::create_directories(std::filesystem::path(spec.bus).parent_path(), ignored);
    }
    auto bus = spec.create ? shmif::Bus::create(spec.bus, {.format = spec.format})
                           : shmif::Bus::open(spec.bus);
    if (!bus)
        return std::unexpected(control::CommandError{
            "failed", "cannot attach to bus " + spec.bus + ": " + shmif::describe(bus.error())});

    InterfaceState state;
    state.bus = std::make_shared<shmif::Bus>(std::move(*bus));
    state.sender = shmif::random_sender_id();
    state.impair_seed = random_seed();
    if (!spec.mac) spec.mac = netstack::MacAddress::local_from(state.sender);
    state.spec = spec;

    // Links are built here, off the workers; each stop just moves one in.
    std::vector<std::unique_ptr<ShardLink>> links;
    const auto alarm = std::make_shared<BusAlarm>();  // one log per breakage, not per worker
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        links.push_back(std::make_unique<ShardLink>(spec.name, *state.bus, state.sender, alarm));
        for (auto d : {ImpairDirection::egress, ImpairDirection::ingress}) {
            const auto& wanted =
                d == ImpairDirection::egress ? spec.impair_egress : spec.impair_ingress;
            if (!wanted.none())
                links.back()->impairment(d).set(shard_impairment(state, d, wanted, i));
        }
    }
    const netstack::InterfaceConfig config{
        .name = spec.name,
        .mac = *spec.mac,
        .mtu = spec.mtu != 0 ? spec.mtu : default_mtu_of(*state.bus),
        .promiscuous = spec.promisc};
    // With probing on (RFC 5227), the addresses of an interface that comes up come once it is
    // there to probe from.
    const bool probe_first = probe_wait_.count() > 0 && spec.up && !spec.addresses.empty();
    auto now = std::chrono::steady_clock::now();
    std::size_t mtu = 0;
    auto outcome = apply(
        [&](Shard& shard) -> std::expected<void, netstack::ConfigError> {
            auto id = shard.attach(std::move(links[shard.index()]), config);
            if (!id) return std::unexpected(id.error());
            // Down before its addresses, so that a down interface announces none of them.
            if (!spec.up) (void)shard.stack().set_up(*id, false, now);
            for (const auto& a : probe_first ? std::vector<netstack::IpCidr>{} : spec.addresses) {
                if (auto r = shard.stack().add_address(*id, a, now); !r) {
                    shard.detach(spec.name);
                    return r;
                }
            }
            if (shard.index() == 0)
                for (const auto& info : shard.stack().interfaces())
                    if (info.id == *id) mtu = info.mtu;
            return {};
        },
        [&](Shard& shard) { shard.detach(spec.name); }, "interface " + spec.name);
    if (!outcome) return outcome;
    if (probe_first) {
        for (const auto& a : spec.addresses)
            if (a.is_v4())
                if (outcome = probe(spec.name, a.address.v4()); !outcome) break;
        now = std::chrono::steady_clock::now();
        if (outcome)
            outcome = apply(
                [&](Shard& shard) -> std::expected<void, netstack::ConfigError> {
                    for (const auto& a : spec.addresses)
                        if (auto r = shard.stack().add_address(shard.link(spec.name)->id, a, now);
                            !r)
                            return r;
                    return {};
                },
                [&](Shard&) {}, "interface " + spec.name);
        if (!outcome) {
            on_every_shard_stopped([&](Shard& shard) {
                shard.detach(spec.name);
                return 0;
            });
            return outcome;
        }
    }
    if (spec.advertise) {
        if (outcome = apply_advertise(spec.name, spec.advertise); !outcome) {
            on_every_shard_stopped([&](Shard& shard) {
                shard.detach(spec.name);
                return 0;
            });
            return outcome;
        }
    }
    state.mtu = mtu;
    state.up = spec.up;
    // Before lo, which stays last (listings index the configured interfaces from 0).
    interfaces_.insert(std::find_if(interfaces_.begin(), interfaces_.end(),
                                    [](const InterfaceState& i) { return i.loopback; }),
                       std::move(state));
    return {};
}

Dataplane::Outcome Dataplane::remove_interface(const std::string& name) {
    if (!find(name)) return std::unexpected(no_interface(name));
    on_every_shard_stopped([&](Shard& shard) {
        shard.detach(name);
        return 0;
    });
    // The stack dropped the interface's routes with it.
    std::erase_if(routes_, [&](const RouteSpec& r) { return r.interface == name; });
    std::erase_if(interfaces_, [&](const InterfaceState& i) { return i.spec.name == name; });
    return {};
}

Dataplane::Outcome Dataplane::set_up(const std::string& name, bool up) {
    auto* state = find_mutable(name);
    if (!state) return std::unexpected(no_interface(name));
    const auto now = std::chrono::steady_clock::now();
    auto outcome =
        apply([&](Shard& shard) { return shard.stack().set_up(shard.link(name)->id, up, now); },
              [&](Shard& shard) { (void)shard.stack().set_up(shard.link(name)->id, !up, now); },
              "interface " + name);
    if (outcome) state->up = state->spec.up = up;
    return outcome;
}

Dataplane::Outcome Dataplane::set_mtu(const std::string& name, std::size_t mtu) {
    auto* state = find_mutable(name);
    if (!state) return std::unexpected(no_interface(name));
    const std::size_t effective = mtu != 0 ? mtu : default_mtu_of(*state->bus);
    const std::size_t most = std::min<std::size_t>(link_mtu_of(*state->bus), 65535);
    if (effective < 68 || effective > most)
        return std::unexpected(control::CommandError{
            "invalid_args", "mtu " + std::to_string(effective) + " on " + name +
                                ": must be from 68 to " + std::to_string(most) + " (bus " +
                                state->spec.bus + " carries frames of at most " +
                                std::to_string(state->bus->max_frame()) + " bytes)"});
    const std::size_t before = state->mtu;
    auto outcome =
        apply([&](Shard& shard) { return shard.stack().set_mtu(shard.link(name)->id, effective); },
              [&](Shard& shard) { (void)shard.stack().set_mtu(shard.link(name)->id, before); },
              "mtu of " + name);
    if (!outcome) return outcome;
    state->mtu = effective;
    state->spec.mtu = mtu;
    return {};
}

Dataplane::Outcome Dataplane::set_forwarding(bool on) {
    auto outcome = apply(
        [&](Shard& shard) -> std::expected<void, netstack::ConfigError> {
            shard.stack().set_forwarding(on);
            return {};
        },
        [&](Shard& shard) { shard.stack().set_forwarding(!on); }, "forwarding");
    if (!outcome) return outcome;
    forwarding_ = on;
    for (const auto& i : interfaces_)
        if (i.spec.advertise && !i.spec.advertise->router_lifetime)
            if (auto r = apply_advertise(i.spec.name, i.spec.advertise); !r) return r;
    return {};
}

Dataplane::Outcome Dataplane::set_promisc(const std::string& name, bool on) {
    auto* state = find_mutable(name);
    if (!state) return std::unexpected(no_interface(name));
    auto outcome =
        apply([&](Shard& shard) { return shard.stack().set_promiscuous(shard.link(name)->id, on); },
              [&](Shard& shard) { (void)shard.stack().set_promiscuous(shard.link(name)->id, !on); },
              "interface " + name);
    if (outcome) state->spec.promisc = on;
    return outcome;
}

Dataplane::Outcome Dataplane::add_address(const std::string& name, netstack::IpCidr address) {
    auto* state = find_mutable(name);
    if (!state) return std::unexpected(no_interface(name));
    auto& list = state->spec.addresses;
    if (std::find(list.begin(), list.end(), address) != list.end())
        return std::unexpected(
            control::CommandError{"exists", name + " already has " + address.to_string()});
    if (state->up && address.is_v4())
        if (auto probed = probe(name, address.address.v4()); !probed) return probed;
    const auto now = std::chrono::steady_clock::now();
    auto outcome = apply(
        [&](Shard& shard) { return shard.stack().add_address(shard.link(name)->id, address, now); },
        [&](Shard& shard) { (void)shard.stack().remove_address(shard.link(name)->id, address); },
        "address " + address.to_string() + " on " + name);
    if (outcome) list.push_back(address);
    return outcome;
}

Dataplane::Outcome Dataplane::remove_address(const std::string& name, netstack::IpCidr address) {
    auto* state = find_mutable(name);
    if (!state) return std::unexpected(no_interface(name));
    auto& list = state->spec.addresses;
    auto it = std::find(list.begin(), list.end(), address);
    if (it == list.end())
        return std::unexpected(
            control::CommandError{"not_found", name + " has no address " + address.to_string()});
    const auto now = std::chrono::steady_clock::now();
    auto outcome = apply(
        [&](Shard& shard) { return shard.stack().remove_address(shard.link(name)->id, address); },
        [&](Shard& shard) { (void)shard.stack().add_address(shard.link(name)->id, address, now); },
        "address " + address.to_string() + " on " + name);
    if (outcome) list.erase(it);
    return outcome;
}

namespace {

// The stack's own route for `route`, IPv4 or IPv6, handed to `f`.
template <class F>
auto with_stack_route(const RouteSpec& route, netstack::InterfaceId id, F&& f) {
    if (route.dst.is_v4()) {
        return f(
            netstack::Route{.destination = route.dst.v4(),
                            .gateway = route.via ? std::optional(route.via->v4()) : std::nullopt,
                            .interface = id,
                            .metric = route.metric});
    }
    return f(
        netstack::Ipv6Route{.destination = route.dst.v6(),
                            .gateway = route.via ? std::optional(route.via->v6()) : std::nullopt,
                            .interface = id,
                            .metric = route.metric});
}

}  // namespace

Dataplane::Outcome Dataplane::add_route(RouteSpec route) {
    if (!route.interface) {
        std::vector<InterfaceSpec> specs;
        for (const auto& i : interfaces_)
            if (!i.loopback) specs.push_back(i.spec);
        route.interface = interface_for_gateway(specs, *route.via);
        const bool link_local = route.via->is_v6() && route.via->v6().is_link_local();
        if (!route.interface)
            return std::unexpected(control::CommandError{
                "invalid_args",
                "gateway " + route.via->to_string() +
                    (link_local ? " is link-local and there are several interfaces: name one (if)"
                                : " is not on the network of any interface address")});
    }
    if (!find(*route.interface)) return std::unexpected(no_interface(*route.interface));
    if (std::find(routes_.begin(), routes_.end(), route) != routes_.end())
        return std::unexpected(control::CommandError{"exists", "the route exists"});
    auto add = [&](Shard& shard) {
        return with_stack_route(route, shard.link(*route.interface)->id,
                                [&](const auto& r) { return shard.stack().add_route(r); });
    };
    auto remove = [&](Shard& shard) {
        (void)with_stack_route(route, shard.link(*route.interface)->id,
                               [&](const auto& r) { return shard.stack().remove_route(r); });
    };
    auto outcome = apply(add, remove, "route to " + route_destination_text(route.dst));
    if (outcome) routes_.push_back(route);
    return outcome;
}

Dataplane::Outcome Dataplane::remove_route(const netstack::IpCidr& dst,
                                           std::optional<netstack::IpAddress> via,
                                           std::optional<std::string> interface,
                                           std::optional<std::uint32_t> metric) {
    auto it = std::find_if(routes_.begin(), routes_.end(), [&](const RouteSpec& r) {
        return r.dst == dst && (!via || r.via == via) && (!interface || r.interface == interface) &&
               (!metric || r.metric == *metric);
    });
    if (it == routes_.end())
        return std::unexpected(control::CommandError{
            "not_found", "no configured route to " + route_destination_text(dst) + " matches"});
    const RouteSpec route = *it;
    auto remove = [&](Shard& shard) {
        return with_stack_route(route, shard.link(*route.interface)->id,
                                [&](const auto& r) { return shard.stack().remove_route(r); });
    };
    auto add = [&](Shard& shard) {
        (void)with_stack_route(route, shard.link(*route.interface)->id,
                               [&](const auto& r) { return shard.stack().add_route(r); });
    };
    auto outcome = apply(remove, add, "route to " + route_destination_text(dst));
    if (outcome) routes_.erase(it);
    return outcome;
}

Dataplane::Outcome Dataplane::flush_neighbours(std::optional<std::string> interface) {
    if (interface && !find(*interface)) return std::unexpected(no_interface(*interface));
    on_every_shard([&](Shard& shard) {
        if (interface)
            shard.stack().flush_neighbours(shard.link(*interface)->id);
        else
            shard.stack().flush_neighbours();
    });
    return {};
}

nlohmann::json Dataplane::interface_json(const InterfaceState& state) const {
    nlohmann::json j{{"name", state.spec.name},
                     {"bus", state.spec.bus},
                     {"format", shmif::format_name(state.bus->format())},
                     {"mac", state.spec.mac->to_string()},
                     {"mtu", state.mtu},
                     {"up", state.up},
                     {"promisc", state.spec.promisc},
                     {"loopback", state.loopback},
                     {"addresses", nlohmann::json::array()}};
    for (const auto& a : state.spec.addresses)
        j["addresses"].push_back(a.to_string());
    // Read from the bus now, so it shows even before a send has failed on it.
    const auto problem = state.bus->header_problem();
    j["state"] = problem ? "bus-corrupt" : state.up ? "up" : "down";
    j["problem"] = problem
                       ? nlohmann::json("bus header corrupt: " + *problem +
                                        " (sends refused; shmifbus repair " + state.spec.bus + ")")
                       : nlohmann::json(nullptr);
    return j;
}

nlohmann::json Dataplane::addresses_json(const std::optional<std::string>& name) {
    nlohmann::json list = nlohmann::json::array();
    auto read = pool_.stop_one(workers_.front(), [&](engine::WorkerId) {
        for (const auto& info : shards_.front()->stack().interfaces()) {
            if (name && info.name != *name) continue;
            for (const auto& a : info.addresses)
                list.push_back({{"if", info.name},
                                {"addr", a.to_string()},
                                {"state", "preferred"},
                                {"auto", false}});
            for (const auto& a : info.addresses6)
                list.push_back({{"if", info.name},
                                {"addr", a.address.to_string()},
                                {"state", netstack::ipv6_address_state_name(a.state)},
                                {"auto", a.automatic}});
        }
        return 0;
    });
    if (!read) throw std::runtime_error("reading addresses: " + engine::describe(read.error()));
    return {{"addresses", list}};
}

nlohmann::json Dataplane::routes_json() {
    // Every shard holds the same table; shard 0's is read.
    std::vector<nlohmann::json> rows;
    auto read = pool_.stop_one(workers_.front(), [&](engine::WorkerId) {
        auto add_rows = [&](const auto& routes) {
            for (const auto& r : routes) {
                nlohmann::json row{{"dst", route_destination_text(r.destination)},
                                   {"if", shards_.front()->interface_name(r.interface)},
                                   {"metric", r.metric}};
                if (r.gateway) row["via"] = r.gateway->to_string();
                rows.push_back(std::move(row));
            }
        };
        add_rows(shards_.front()->stack().routes());
        add_rows(shards_.front()->stack().routes6());
        return 0;
    });
    if (!read) throw std::runtime_error("reading routes: " + engine::describe(read.error()));
    return {{"routes", rows}};
}

std::expected<nlohmann::json, control::CommandError> Dataplane::neighbours_json(
    std::optional<std::string> interface) {
    if (interface && !find(*interface)) return std::unexpected(no_interface(*interface));
    std::vector<std::vector<nlohmann::json>> per_shard(shards_.size());
    on_every_shard([&](Shard& shard) {
        const auto now = std::chrono::steady_clock::now();
        for (const auto& n : shard.stack().neighbours()) {
            const auto name = shard.interface_name(n.interface);
            if (interface && name != *interface) continue;
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(n.expires - now);
            per_shard[shard.index()].push_back(
                {{"if", name},
                 {"addr", n.address.to_string()},
                 {"mac", n.mac.to_string()},
                 {"state", netstack::neighbour_state_name(n.state)},
                 {"expires_ms", std::max<std::int64_t>(0, left.count())},
                 {"worker", workers_[shard.index()]}});
        }
    });
    nlohmann::json list = nlohmann::json::array();
    for (auto& rows : per_shard)
        for (auto& row : rows)
            list.push_back(std::move(row));
    return nlohmann::json{{"neighbours", list}};
}

nlohmann::json Dataplane::stats_json() {
    struct LinkCounters {
        netstack::EthernetStats ethernet;
        shmif::CursorStats cursor;
        shmif::WriterStats writer;
        std::uint64_t read_ahead = 0;
        std::uint64_t passed = 0;
    };
    struct ShardCounters {
        netstack::StackStats stack;
        std::map<std::string, LinkCounters> links;
        std::size_t jobs = 0;
    };
    std::vector<ShardCounters> per_shard(shards_.size());
    on_every_shard([&](Shard& shard) {
        auto& out = per_shard[shard.index()];
        out.stack = shard.stack().stats();
        out.jobs = shard.jobs();
        for (const auto& info : shard.stack().interfaces())
            out.links[info.name].ethernet = info.stats;
        for (const auto& link : shard.links()) {
            out.links[link->name()].cursor = link->cursor().stats();
            out.links[link->name()].writer = link->device().writer_stats();
            out.links[link->name()].read_ahead = link->read_ahead();
            out.links[link->name()].passed = link->passed();
        }
    });

    nlohmann::json interfaces = nlohmann::json::array();
    for (const auto& state : interfaces_) {
        const auto& name = state.spec.name;
        LinkCounters total;
        for (auto& shard : per_shard) {
            accumulate(total.ethernet, shard.links[name].ethernet);
            accumulate(total.writer, shard.links[name].writer);
            total.read_ahead += shard.links[name].read_ahead;
            total.passed += shard.links[name].passed;
        }
        // Every worker reads every frame of the bus: one reader's count is the interface's.
        const auto& reader = per_shard.front().links[name].cursor;
        nlohmann::json row{{"name", name},
                           {"rx_frames", reader.frames},
                           {"rx_bytes", reader.bytes},
                           {"tx_frames", total.writer.frames},
                           {"tx_bytes", total.writer.bytes},
                           {"tx_dropped", total.ethernet.tx_dropped},
                           {"lost_frames", reader.lost_frames},
                           {"overruns", reader.overruns},
                           {"read_ahead", total.read_ahead},
                           {"rx_passed", total.passed}};
        // The link layer's drop counters, summed over the shards, flat beside them.
        const auto ethernet = to_json(total.ethernet);
        for (const auto& [field, value] : ethernet.items())
            if (field.starts_with("drop_")) row[field] = value;
        interfaces.push_back(std::move(row));
    }
    netstack::StackStats stack;
    nlohmann::json workers = nlohmann::json::array();
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        accumulate(stack, per_shard[i].stack);
        const auto ws = pool_.stats(workers_[i]).value_or(engine::WorkerStats{});
        workers.push_back({{"id", workers_[i]},
                           {"cpu", ws.cpu},
                           {"work", ws.work},
                           {"batches", ws.batches},
                           {"busy_ns", ws.busy_ns},
                           {"idle_ns", ws.idle_ns},
                           {"sleeps", ws.sleeps},
                           {"wakeups", ws.wakeups},
                           {"stops", ws.stops},
                           {"jobs", per_shard[i].jobs}});
    }
    const auto timing = pool_.last_stop_timing();
    return {{"interfaces", interfaces},
            {"workers", workers},
            {"stack", to_json(stack)},
            {"last_stop", {{"quiesce_ns", timing.quiesce_ns}, {"total_ns", timing.total_ns}}}};
}

std::expected<nlohmann::json, control::CommandError> Dataplane::bus_stats_json(
    std::optional<std::string> interface) {
    if (interface && !find(*interface)) return std::unexpected(no_interface(*interface));
    std::vector<std::map<std::string, shmif::CursorStats>> cursors(shards_.size());
    std::vector<std::map<std::string, shmif::WriterStats>> writers(shards_.size());
    std::vector<std::map<std::string, std::uint64_t>> read_ahead(shards_.size());
    on_every_shard([&](Shard& shard) {
        for (const auto& link : shard.links()) {
            cursors[shard.index()][link->name()] = link->cursor().stats();
            writers[shard.index()][link->name()] = link->device().writer_stats();
            read_ahead[shard.index()][link->name()] = link->read_ahead();
        }
    });
    nlohmann::json buses = nlohmann::json::array();
    for (const auto& state : interfaces_) {
        const auto& name = state.spec.name;
        if (interface && name != *interface) continue;
        const auto info = state.bus->info();
        const auto problem = state.bus->header_problem();
        shmif::CursorStats cursor_total;
        shmif::WriterStats writer_total;
        std::uint64_t read_ahead_total = 0;
        nlohmann::json per_worker = nlohmann::json::array();
        for (std::size_t i = 0; i < shards_.size(); ++i) {
            accumulate(cursor_total, cursors[i][name]);
            accumulate(writer_total, writers[i][name]);
            read_ahead_total += read_ahead[i][name];
            per_worker.push_back({{"worker", workers_[i]},
                                  {"read_ahead", read_ahead[i][name]},
                                  {"cursor", to_json(cursors[i][name])},
                                  {"writer", to_json(writers[i][name])}});
        }
        // Flat totals first (what a table shows); each worker's own cursor and writer after.
        buses.push_back({{"if", name},
                         {"path", state.spec.bus},
                         {"format", shmif::format_name(info.format)},
                         {"sender", sender_text(state.sender)},
                         {"frames_written", info.frames_written},
                         {"bytes_written", info.bytes_written},
                         {"frames_held", info.frames_held},
                         {"data_size", info.data_size},
                         {"max_frame", info.max_frame},
                         {"lock_recoveries", info.lock_recoveries},
                         {"corrupt_repairs", info.corrupt_repairs},
                         {"sleeping_readers", info.sleeping_readers},
                         {"our_frames_written", writer_total.frames},
                         {"lock_contended", writer_total.lock_contended},
                         {"lost_frames", cursor_total.lost_frames},
                         {"overruns", cursor_total.overruns},
                         {"read_ahead", read_ahead_total},
                         {"corrupt", cursor_total.corrupt},
                         {"header_faults", info.header_faults},
                         {"header_problem", problem ? nlohmann::json(*problem) : nullptr},
                         {"workers", per_worker}});
    }
    return nlohmann::json{{"buses", buses}};
}

namespace {

// A reply that answers shutting_down if it is dropped unanswered: a command posted to a
// worker that goes away before running it still gets its one reply.
class PendingReply {
  public:
    explicit PendingReply(control::Done done) : done_(std::move(done)) {}
    ~PendingReply() {
        if (done_)
            done_(
                std::unexpected(control::CommandError{"shutting_down", "the daemon is stopping"}));
    }
    PendingReply(const PendingReply&) = delete;
    PendingReply& operator=(const PendingReply&) = delete;
    control::Done take() { return std::exchange(done_, control::Done{}); }

  private:
    control::Done done_;
};

}  // namespace

void Dataplane::post_job(std::size_t shard, std::function<void(Shard&, control::Done)> start,
                         control::Done done) {
    auto reply = std::make_shared<PendingReply>(std::move(done));
    posters_[shard].post([target = shards_[shard], start = std::move(start), reply] {
        start(*target, reply->take());
    });
}

Dataplane::Outcome Dataplane::probe(const std::string& name, netstack::Ipv4Address address) {
    const auto* state = find(name);
    if (probe_wait_.count() == 0 || (state && state->loopback)) return {};  // nobody else on lo
    return wait_for_probe(
        [&](control::Done done) {
            post_job(
                0,
                [name, address](Shard& s, control::Done d) {
                    AddressProbeJob::start(s, name, address, std::move(d));
                },
                std::move(done));
        },
        probe_wait_);
}

std::size_t Dataplane::any_shard() {
    return next_shard_.fetch_add(1, std::memory_order_relaxed) % shards_.size();
}

void Dataplane::ping(const PingParams& params, control::Done done) {
    // Any shard can ping: the stack picks an echo id whose replies come back to it.
    post_job(
        any_shard(),
        [params](Shard& s, control::Done d) { PingJob::start(s, params, std::move(d)); },
        std::move(done));
}

void Dataplane::udp_send(const UdpSendParams& params, control::Done done) {
    // A source port belongs to the shard port % count (netstack's sharding rule).
    const auto shard = params.from_port != 0 ? params.from_port % shards_.size() : any_shard();
    post_job(
        shard, [params](Shard& s, control::Done d) { shmifd::udp_send(s, params, std::move(d)); },
        std::move(done));
}

void Dataplane::udp_recv(const UdpRecvParams& params, control::Done done) {
    post_job(
        params.port % shards_.size(),
        [params](Shard& s, control::Done d) { shmifd::udp_recv(s, params, std::move(d)); },
        std::move(done));
}

void Dataplane::cancel_jobs() {
    try {
        on_every_shard([](Shard& shard) { shard.cancel_jobs(); });
    } catch (const std::exception& e) {
        // A worker that cannot be stopped keeps its jobs; they are cancelled when the pool
        // destroys its shard.
        log_(std::string("cancelling jobs: ") + e.what());
    }
}

}  // namespace shmifd
