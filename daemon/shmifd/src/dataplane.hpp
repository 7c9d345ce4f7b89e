// The daemon's data path and the one place that changes it: a worker pool with one Shard per
// worker, the buses the interfaces live on, and the running configuration (interfaces,
// addresses, routes) that every shard mirrors.
//
// Threads: the configuration methods and queries are called from one thread at a time (the
// daemon's reconfiguration thread); each change is applied to every shard inside one
// stop_machine, so no worker ever sees half of it, and returns once applied everywhere. The
// socket commands (ping, udp.*) may be called from any thread: they post to the shard that
// owns the echo id or port and answer from that worker.
#pragma once

#include <atomic>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"
#include "impair_slot.hpp"
#include "ping_job.hpp"
#include "services/service_spec.hpp"
#include "shard.hpp"
#include "shmifd/control/handler.hpp"
#include "shmifd/engine/worker_pool.hpp"
#include "udp_jobs.hpp"

namespace shmifd {

// One interface as the daemon knows it (the truth the shards mirror).
struct InterfaceState {
    InterfaceSpec spec;   // as configured; spec.mac is filled in when derived
    std::size_t mtu = 0;  // in effect
    bool up = true;
    std::uint64_t sender = 0;  // the bus sender id all shards of the interface share
    std::shared_ptr<shmif::Bus> bus;
    std::uint64_t impair_seed = 0;  // the impairments' seed when their words give none
    bool loopback = false;          // the daemon's own lo (add_loopback), not configured
};

class Dataplane {
  public:
    using Outcome = std::expected<void, control::CommandError>;
    using Log = std::function<void(std::string_view)>;

    // `pin`: each worker on a CPU of its own (DaemonSettings::pin_workers).
    Dataplane(const netstack::StackConfig& stack, std::size_t workers, bool pin, Log log);
    ~Dataplane();
    Dataplane(const Dataplane&) = delete;
    Dataplane& operator=(const Dataplane&) = delete;

    std::size_t shard_count() const { return shards_.size(); }
    const std::vector<InterfaceState>& interfaces() const { return interfaces_; }
    const std::vector<RouteSpec>& routes() const { return routes_; }
    const InterfaceState* find(const std::string& name) const;

    // --- configuration ---------------------------------------------------------------------
    // Opens (or creates) the bus and attaches the interface, up, with its addresses.
    Outcome add_interface(InterfaceSpec spec);
    // The loopback interface lo (dataplane_loopback.cpp, loopback_link.hpp); listed last.
    Outcome add_loopback();
    Outcome remove_interface(const std::string& name);
    Outcome set_up(const std::string& name, bool up);
    Outcome set_promisc(const std::string& name, bool on);
    // 68 up to what the bus carries; 0 = the default (1500, or less if the bus carries less).
    Outcome set_mtu(const std::string& name, std::size_t mtu);
    // Router Advertisements on the interface (dataplane_advertise.cpp); nullopt stops them.
    Outcome set_advertise(const std::string& name, std::optional<AdvertiseSpec> spec);
    // Routing between interfaces (StackConfig::forwarding), on every shard at once; the
    // advertised router lifetime follows it where the file leaves it unset.
    Outcome set_forwarding(bool on);
    bool forwarding() const { return forwarding_; }
    // IPv4 addresses are probed for first (RFC 5227); IPv6 ones run DAD in the stack
    // (RFC 4862) and show as tentative until it is over.
    Outcome add_address(const std::string& name, netstack::IpCidr address);
    Outcome remove_address(const std::string& name, netstack::IpCidr address);
    // A route without an interface gets the one whose network holds its gateway.
    Outcome add_route(RouteSpec route);
    // Removes the first configured route matching what is given.
    Outcome remove_route(const netstack::IpCidr& dst, std::optional<netstack::IpAddress> via,
                         std::optional<std::string> interface, std::optional<std::uint32_t> metric);
    Outcome flush_neighbours(std::optional<std::string> interface);

    // --- queries (JSON in PROTOCOL.md's shapes) --------------------------------------------
    nlohmann::json interface_json(const InterfaceState& state) const;
    // Every address the stack holds (configured ones, IPv6 link-local ones, with their DAD
    // state), of one interface or all, as shard 0 has them.
    nlohmann::json addresses_json(const std::optional<std::string>& name);
    nlohmann::json routes_json();  // the stack's table, on-link routes included
    std::expected<nlohmann::json, control::CommandError> neighbours_json(
        std::optional<std::string> interface);
    nlohmann::json stats_json();
    std::expected<nlohmann::json, control::CommandError> bus_stats_json(
        std::optional<std::string> interface);

    // --- test services and TCP (dataplane_services.cpp) ------------------------------------
    // Opens the service's sockets on every shard inside one stop_machine (a listener must
    // exist on every shard before any SYN is answered: a shard without it would reset the
    // connections it owns); undone where opened if a shard refuses.
    Outcome add_service(const services::ServiceSpec& spec);
    // The service on this port and transport (and of this kind, when given); its
    // connections are aborted.
    Outcome remove_service(std::uint16_t port, services::Transport transport,
                           std::optional<services::ServiceKind> kind);
    const std::vector<services::ServiceSpec>& services() const { return services_; }
    nlohmann::json services_json();  // with counters summed over the shards
    nlohmann::json tcp_json();       // every TCP connection of every shard

    // --- impairments (dataplane_impair.cpp) --------------------------------------------------
    // Sets one direction's impairment on every shard inside one stop_machine; it takes
    // effect on the next frame, frames already held keep their times. Egress: each shard has
    // its own engine (seed + shard index) and a rate split evenly across the shards. Ingress:
    // every shard reads every frame, so every shard's engine has the same seed and makes the
    // same decisions.
    Outcome set_impairment(const std::string& name, ImpairDirection direction,
                           const shmif::impair::Settings& settings);
    // Settings and counters (egress summed over the shards, ingress as shard 0 saw it).
    std::expected<nlohmann::json, control::CommandError> impairments_json(
        std::optional<std::string> interface);

    // --- socket commands (any thread) ------------------------------------------------------
    void ping(const PingParams& params, control::Done done);
    void udp_send(const UdpSendParams& params, control::Done done);
    void udp_recv(const UdpRecvParams& params, control::Done done);

    // --- for the socket service (sockets/): every shard and its mailbox, by shard index --
    const std::vector<Shard*>& shards() const { return shards_; }
    const std::vector<engine::CommandQueue::Poster>& posters() const { return posters_; }

    // Answers every running job with shutting_down (waits until they have answered). Never
    // throws: it runs on the way out.
    void cancel_jobs();

  private:
    Log log_;
    std::chrono::milliseconds probe_wait_;  // stack.arp.probe_wait; 0: addresses not probed
    // Declared before the pool: the buses outlive the shards that read them.
    std::vector<InterfaceState> interfaces_;
    std::vector<RouteSpec> routes_;
    std::vector<services::ServiceSpec> services_;
    bool forwarding_ = false;
    engine::WorkerPool pool_;
    std::vector<engine::WorkerId> workers_;  // by shard index
    std::vector<Shard*> shards_;             // owned by the pool; by shard index
    std::vector<engine::CommandQueue::Poster> posters_;
    std::atomic<std::uint32_t> next_shard_{0};

    std::size_t index_of(engine::WorkerId worker) const;
    // fn on every shard inside one stop_machine; per-shard results, 0 = success.
    std::vector<int> on_every_shard_stopped(const std::function<int(Shard&)>& fn);
    // fn on every shard, each stopped on its own (reads; nobody waits for everybody).
    void on_every_shard(const std::function<void(Shard&)>& fn);
    // Applies `change` everywhere; if a shard refuses, undoes it where it was done.
    Outcome apply(const std::function<std::expected<void, netstack::ConfigError>(Shard&)>& change,
                  const std::function<void(Shard&)>& undo, const std::string& what);
    // Runs `start` on the shard's worker with `done`; answers shutting_down if it never runs.
    void post_job(std::size_t shard, std::function<void(Shard&, control::Done)> start,
                  control::Done done);
    std::size_t any_shard();
    // RFC 5227: probes for `address` from shard 0 (address_probe.hpp) unless probing is off;
    // address_in_use naming the holder's MAC when it is taken.
    Outcome probe(const std::string& name, netstack::Ipv4Address address);
    InterfaceState* find_mutable(const std::string& name);
    // The stacks advertise what `spec` says on the attached interface `name`.
    Outcome apply_advertise(const std::string& name, const std::optional<AdvertiseSpec>& spec);
    // The settings one shard's engine gets: seeded, and its share of an egress rate.
    shmif::impair::Settings shard_impairment(const InterfaceState& state, ImpairDirection direction,
                                             const shmif::impair::Settings& settings,
                                             std::size_t shard) const;
};

}  // namespace shmifd
