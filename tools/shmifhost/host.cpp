#include "host.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

namespace shmifhost {
namespace {

// Waits are cut into slices this long so SIGINT/SIGTERM are seen promptly even when the
// signal lands in a futex sleep that resumes.
constexpr std::chrono::milliseconds kMaxSlice{100};

std::uint64_t random_seed() {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32 | rd()) | 1;
}

}  // namespace

std::expected<std::unique_ptr<Host>, std::string> Host::open(const HostConfig& config) {
    std::unique_ptr<Host> host(new Host());
    host->config_ = config;
    auto bus =
        config.create_bus ? shmif::Bus::create(config.bus, {}) : shmif::Bus::open(config.bus);
    if (!bus)
        return std::unexpected(fmt::format("{}: {}", config.bus, shmif::describe(bus.error())));
    host->bus_.emplace(std::move(*bus));
    host->device_ = std::make_unique<netstack::BusDevice>(*host->bus_);
    netstack::StackConfig sc;
    sc.seed = config.seed != 0 ? config.seed : random_seed();
    if (config.tcp_max_connections != 0) sc.tcp.max_connections = config.tcp_max_connections;
    sc.ipv6.enabled = true;  // as shmifd
    host->stack_ = std::make_unique<netstack::Stack>(sc);
    auto& stack = *host->stack_;
    // mtu 0: add_interface derives the largest the bus carries.
    auto id = stack.add_interface({.name = config.name, .mac = config.mac, .mtu = config.mtu},
                                  *host->device_);
    if (!id)
        return std::unexpected(fmt::format("{}: {}", config.name, netstack::describe(id.error())));
    host->interface_ = *id;
    // The port (and its cursor) first, so nothing sent in answer to our announcement is missed.
    host->port_ = std::make_unique<netstack::BusPort>(*host->bus_, stack, *id, *host->device_);
    const auto now = std::chrono::steady_clock::now();
    if (auto ok = stack.add_address(*id, config.address, now); !ok)
        return std::unexpected(fmt::format("address {}: {}", config.address.to_string(),
                                           netstack::describe(ok.error())));
    if (config.gateway) {
        const auto ok =
            config.gateway->is_v4()
                ? stack.add_route(netstack::Route{
                      .destination = {}, .gateway = config.gateway->v4(), .interface = *id})
                : stack.add_route(netstack::Ipv6Route{
                      .destination = {}, .gateway = config.gateway->v6(), .interface = *id});
        if (!ok)
            return std::unexpected(fmt::format("gateway {}: {}", config.gateway->to_string(),
                                               netstack::describe(ok.error())));
    }
    host->flush();  // the gratuitous ARP
    return host;
}

std::size_t Host::step(std::chrono::nanoseconds max_wait) {
    auto now = std::chrono::steady_clock::now();
    auto wait = std::min<std::chrono::nanoseconds>(max_wait, kMaxSlice);
    if (const auto due = stack_->poll_at())
        wait = std::min<std::chrono::nanoseconds>(wait, *due - now);
    wait = std::max(wait, std::chrono::nanoseconds(0));
    const auto got = port_->pump_wait(wait);
    now = std::chrono::steady_clock::now();
    if (const auto due = stack_->poll_at(); due && *due <= now) stack_->poll(now);
    watches_.deliver(*stack_);
    device_->flush();
    return got ? *got : 0;
}

netstack::MacAddress Host::mac() const {
    for (const auto& info : stack_->interfaces())
        if (info.id == interface_) return info.mac;
    return {};
}

}  // namespace shmifhost
