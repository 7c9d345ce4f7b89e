#include "command_handler.hpp"

#include <spdlog/spdlog.h>

#include "config_json.hpp"
#include "config_toml_writer.hpp"
#include "shmifd/control/protocol.hpp"
#include "shmifd/version.hpp"

namespace shmifd {

namespace {

using control::Args;
using control::ArgumentError;
using control::CommandError;
using control::Done;
using control::Result;

netstack::IpCidr cidr_arg(Args& a, std::string_view key) {
    const auto text = a.required_string(key);
    auto cidr = netstack::IpCidr::parse(text);
    if (!cidr || text.find('/') == std::string::npos)
        throw ArgumentError(std::string(key) + " must be a.b.c.d/n or x:x::x/n, not " + text);
    return *cidr;
}

std::optional<netstack::IpAddress> address_arg(Args& a, std::string_view key) {
    const auto text = a.optional_string(key);
    if (!text) return std::nullopt;
    auto address = netstack::IpAddress::parse(*text);
    if (!address) throw ArgumentError(std::string(key) + " must be an IP address, not " + *text);
    return address;
}

// "default" takes the family of the gateway, if any (as `ip route add default via fe80::1`).
netstack::IpCidr route_dst_arg(Args& a, const std::optional<netstack::IpAddress>& via) {
    const auto text = a.required_string("dst");
    auto dst = parse_route_destination(text, via ? via->family() : netstack::IpFamily::v4);
    if (!dst)
        throw ArgumentError(
            "dst must be a network a.b.c.d/n or x:x::x/n (host bits clear) or default, not " +
            text);
    if (via && via->family() != dst->family())
        throw ArgumentError("via " + via->to_string() + " is not of the family of " + text);
    return *dst;
}

// The longest a ping or udp.recv may run (daemon/PROTOCOL.md).
constexpr std::chrono::milliseconds max_job_duration = std::chrono::minutes(10);

Result ok() {
    return nlohmann::json::object();
}

Result outcome(const Dataplane::Outcome& o) {
    if (!o) return std::unexpected(o.error());
    return ok();
}

}  // namespace

DaemonHandler::DaemonHandler(Dataplane& dataplane, SerialExecutor& executor,
                             sockets::SocketService& sockets, forward::ForwardService& forwards,
                             std::function<Config()> running_config)
    : dataplane_(dataplane),
      executor_(executor),
      sockets_(sockets),
      forwards_(forwards),
      running_config_(std::move(running_config)) {
    commands_ = {{"version", &DaemonHandler::version},
                 {"if.list", &DaemonHandler::if_list},
                 {"if.add", &DaemonHandler::if_add},
                 {"if.del", &DaemonHandler::if_del},
                 {"if.up", &DaemonHandler::if_up},
                 {"if.down", &DaemonHandler::if_down},
                 {"addr.list", &DaemonHandler::addr_list},
                 {"addr.add", &DaemonHandler::addr_add},
                 {"addr.del", &DaemonHandler::addr_del},
                 {"route.list", &DaemonHandler::route_list},
                 {"route.add", &DaemonHandler::route_add},
                 {"route.del", &DaemonHandler::route_del},
                 {"neigh.list", &DaemonHandler::neigh_list},
                 {"neigh.flush", &DaemonHandler::neigh_flush},
                 {"ping", &DaemonHandler::ping},
                 {"udp.send", &DaemonHandler::udp_send},
                 {"udp.recv", &DaemonHandler::udp_recv},
                 {"stats", &DaemonHandler::stats},
                 {"bus.stats", &DaemonHandler::bus_stats},
                 {"service.add", &DaemonHandler::service_add},
                 {"service.del", &DaemonHandler::service_del},
                 {"service.list", &DaemonHandler::service_list},
                 {"tcp.list", &DaemonHandler::tcp_list},
                 {"fwd.add", &DaemonHandler::fwd_add},
                 {"fwd.del", &DaemonHandler::fwd_del},
                 {"fwd.list", &DaemonHandler::fwd_list},
                 {"sock.open", &DaemonHandler::sock},
                 {"sock.bind", &DaemonHandler::sock},
                 {"sock.listen", &DaemonHandler::sock},
                 {"sock.connect", &DaemonHandler::sock},
                 {"sock.accept", &DaemonHandler::sock},
                 {"sock.name", &DaemonHandler::sock},
                 {"sock.setopt", &DaemonHandler::sock},
                 {"sock.getopt", &DaemonHandler::sock},
                 {"sock.list", &DaemonHandler::sock},
                 {"sock.lane", &DaemonHandler::sock},
                 {"config", &DaemonHandler::config},
                 {"config.save", &DaemonHandler::config_save},
                 {"if.set", &DaemonHandler::if_set},
                 {"stack.set", &DaemonHandler::stack_set},
                 {"stack.show", &DaemonHandler::stack_show},
                 {"impair.set", &DaemonHandler::impair_set},
                 {"impair.clear", &DaemonHandler::impair_clear},
                 {"impair.show", &DaemonHandler::impair_show}};
}

void DaemonHandler::handle(control::Request request, Done done) {
    if (refusing_.load())
        return done(std::unexpected(CommandError{"shutting_down", "the daemon is stopping"}));
    auto it = commands_.find(request.cmd);
    if (it == commands_.end())
        return done(std::unexpected(CommandError{"unknown_command", "no command " + request.cmd}));
    spdlog::debug("control: {} {} by pid {}", request.cmd, control::dump_json(request.args),
                  request.peer_pid);
    peer_pid_ = request.peer_pid;
    request_ = &request;
    Args args(request.args);  // throws ArgumentError: the server answers invalid_args
    (this->*(it->second))(args, done);
}

void DaemonHandler::later(Done& done, std::function<Result()> fn) {
    executor_.post([done = std::move(done), fn = std::move(fn)] {
        Result result;
        try {
            result = fn();
        } catch (const std::exception& e) {
            result = std::unexpected(CommandError{"failed", e.what()});
        }
        done(std::move(result));
    });
}

void DaemonHandler::change(Done& done, std::string what, std::function<Result()> fn) {
    later(done, [what = std::move(what), pid = peer_pid_, fn = std::move(fn)]() -> Result {
        auto result = fn();
        if (result)
            spdlog::info("control: {} by pid {}", what, pid);
        else
            spdlog::warn("control: {} by pid {} refused: {}", what, pid, result.error().message);
        return result;
    });
}

void DaemonHandler::version(Args& a, Done& done) {
    a.finish();
    done(nlohmann::json{{"daemon", SHMIFD_VERSION},
                        {"protocol", control::protocol_version},
                        {"sock_tag", sockets_.table().tag()}});
}

void DaemonHandler::if_list(Args& a, Done& done) {
    a.finish();
    later(done, [this]() -> Result {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& i : dataplane_.interfaces())
            list.push_back(dataplane_.interface_json(i));
        return nlohmann::json{{"interfaces", list}};
    });
}

void DaemonHandler::if_add(Args& a, Done& done) {
    InterfaceSpec spec;
    spec.name = a.required_string("name");
    if (spec.name.empty() || spec.name.size() > 32)
        throw ArgumentError("name must be 1 to 32 characters");
    spec.bus = a.required_string("bus");
    if (auto mac = a.optional_string("mac")) {
        spec.mac = netstack::MacAddress::parse(*mac);
        if (!spec.mac || spec.mac->is_multicast() || spec.mac->is_zero())
            throw ArgumentError("mac must be a unicast MAC address, not " + *mac);
    }
    spec.mtu = a.optional_uint("mtu", 68, 65535).value_or(0);
    spec.create = a.optional_bool("create").value_or(true);
    if (auto format = a.optional_string("format")) {
        auto f = shmif::parse_format(*format);
        if (!f) throw ArgumentError("format must be native or netbsd");
        spec.format = *f;
    }
    spec.promisc = a.optional_bool("promisc").value_or(false);
    a.finish();
    change(done, "if add " + spec.name + " bus=" + spec.bus, [this, spec]() -> Result {
        if (auto o = dataplane_.add_interface(spec); !o) return std::unexpected(o.error());
        return dataplane_.interface_json(*dataplane_.find(spec.name));
    });
}

void DaemonHandler::if_del(Args& a, Done& done) {
    auto name = a.required_string("name");
    a.finish();
    change(done, "if del " + name, [this, name]() -> Result {
        // Test programs count on 127.0.0.1; lo goes only with its setting.
        if (const auto* i = dataplane_.find(name); i && i->loopback)
            return std::unexpected(CommandError{
                "invalid_args", name + " is the daemon's loopback interface: it goes with "
                                       "[daemon] loopback = false or --no-loopback"});
        return outcome(dataplane_.remove_interface(name));
    });
}

void DaemonHandler::if_up(Args& a, Done& done) {
    auto name = a.required_string("name");
    a.finish();
    change(done, "if up " + name, [this, name] { return outcome(dataplane_.set_up(name, true)); });
}

void DaemonHandler::if_down(Args& a, Done& done) {
    auto name = a.required_string("name");
    a.finish();
    change(done, "if down " + name,
           [this, name] { return outcome(dataplane_.set_up(name, false)); });
}

void DaemonHandler::addr_list(Args& a, Done& done) {
    auto name = a.optional_string("if");
    a.finish();
    later(done, [this, name]() -> Result {
        if (name && !dataplane_.find(*name))
            return std::unexpected(CommandError{"not_found", "no interface " + *name});
        return dataplane_.addresses_json(name);
    });
}

void DaemonHandler::addr_add(Args& a, Done& done) {
    auto name = a.required_string("if");
    auto address = cidr_arg(a, "addr");
    a.finish();
    change(done, "addr add " + address.to_string() + " dev " + name,
           [this, name, address] { return outcome(dataplane_.add_address(name, address)); });
}

void DaemonHandler::addr_del(Args& a, Done& done) {
    auto name = a.required_string("if");
    auto address = cidr_arg(a, "addr");
    a.finish();
    change(done, "addr del " + address.to_string() + " dev " + name,
           [this, name, address] { return outcome(dataplane_.remove_address(name, address)); });
}

void DaemonHandler::route_list(Args& a, Done& done) {
    a.finish();
    later(done, [this]() -> Result { return dataplane_.routes_json(); });
}

void DaemonHandler::route_add(Args& a, Done& done) {
    RouteSpec route;
    route.via = address_arg(a, "via");
    route.dst = route_dst_arg(a, route.via);
    route.interface = a.optional_string("if");
    route.metric = static_cast<std::uint32_t>(a.optional_uint("metric", 0, UINT32_MAX).value_or(0));
    a.finish();
    if (!route.via && !route.interface) throw ArgumentError("a route needs via, if, or both");
    change(done, "route add " + route_text(route),
           [this, route] { return outcome(dataplane_.add_route(route)); });
}

void DaemonHandler::route_del(Args& a, Done& done) {
    auto via = address_arg(a, "via");
    auto dst = route_dst_arg(a, via);
    auto name = a.optional_string("if");
    auto metric = a.optional_uint("metric", 0, UINT32_MAX);
    a.finish();
    const RouteSpec given{.dst = dst,
                          .via = via,
                          .interface = name,
                          .metric = static_cast<std::uint32_t>(metric.value_or(0))};
    change(done, "route del " + route_text(given), [=, this] {
        return outcome(dataplane_.remove_route(
            dst, via, name,
            metric ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(*metric))
                   : std::nullopt));
    });
}

void DaemonHandler::neigh_list(Args& a, Done& done) {
    auto name = a.optional_string("if");
    a.finish();
    later(done, [this, name]() -> Result { return dataplane_.neighbours_json(name); });
}

void DaemonHandler::neigh_flush(Args& a, Done& done) {
    auto name = a.optional_string("if");
    a.finish();
    later(done, [this, name] { return outcome(dataplane_.flush_neighbours(name)); });
}

void DaemonHandler::ping(Args& a, Done& done) {
    PingParams params;
    const auto to = a.required_string("addr");
    auto address = netstack::IpAddress::parse(to);
    if (!address) throw ArgumentError("addr must be an IPv4 or IPv6 address, not " + to);
    params.to = *address;
    params.count = static_cast<std::uint32_t>(a.optional_uint("count", 1, 1000).value_or(1));
    params.size = a.optional_uint("size", 0, 65507).value_or(56);
    params.interval =
        std::chrono::milliseconds(a.optional_uint("interval_ms", 1, 60'000).value_or(1000));
    params.timeout =
        std::chrono::milliseconds(a.optional_uint("timeout_ms", 1, 60'000).value_or(1000));
    a.finish();
    // A ping holds a socket and a place among the requests in flight for its whole run.
    if (params.count * params.interval > max_job_duration)
        throw ArgumentError("count * interval_ms must be at most 600000 (ten minutes)");
    dataplane_.ping(params, std::move(done));
}

void DaemonHandler::udp_send(Args& a, Done& done) {
    UdpSendParams params;
    const auto to = a.required_string("to");
    auto endpoint = netstack::Endpoint::parse(to);
    if (!endpoint || endpoint->port == 0)
        throw ArgumentError("to must be a.b.c.d:port with a port from 1 to 65535, not " + to);
    params.to = *endpoint;
    params.data = udp_payload_arg(a);
    params.from_port =
        static_cast<std::uint16_t>(a.optional_uint("from_port", 1, 65535).value_or(0));
    a.finish();
    dataplane_.udp_send(params, std::move(done));
}

void DaemonHandler::udp_recv(Args& a, Done& done) {
    UdpRecvParams params;
    params.port = static_cast<std::uint16_t>(a.required_uint("port", 1, 65535));
    params.timeout = std::chrono::milliseconds(
        a.optional_uint("timeout_ms", 0, max_job_duration.count()).value_or(1000));
    params.count = a.optional_uint("count", 1, 1000).value_or(1);
    a.finish();
    dataplane_.udp_recv(params, std::move(done));
}

void DaemonHandler::stats(Args& a, Done& done) {
    a.finish();
    later(done, [this]() -> Result { return dataplane_.stats_json(); });
}

void DaemonHandler::bus_stats(Args& a, Done& done) {
    auto name = a.optional_string("if");
    a.finish();
    later(done, [this, name]() -> Result { return dataplane_.bus_stats_json(name); });
}

void DaemonHandler::config(Args& a, Done& done) {
    a.finish();
    later(done, [this]() -> Result {
        const auto running = running_config_();
        auto j = to_json(running);
        if (running.file) j["file"] = *running.file;
        return j;
    });
}

void DaemonHandler::config_save(Args& a, Done& done) {
    a.finish();
    // The text only: the client writes it where it likes (the daemon writes no files for
    // its clients).
    later(done, [this]() -> Result {
        return nlohmann::json{{"toml", to_toml(running_config_())}};
    });
}

void DaemonHandler::if_set(Args& a, Done& done) {
    auto name = a.required_string("name");
    auto mtu = a.optional_uint("mtu", 68, 65535);
    a.finish();
    if (!mtu) throw ArgumentError("nothing to set: give mtu");
    change(done, "if set " + name + " mtu " + std::to_string(*mtu), [this, name, mtu] {
        return outcome(dataplane_.set_mtu(name, static_cast<std::size_t>(*mtu)));
    });
}

void DaemonHandler::stack_set(Args& a, Done& done) {
    auto forwarding = a.optional_bool("forwarding");
    a.finish();
    if (!forwarding) throw ArgumentError("nothing to set: give forwarding");
    change(done, std::string("stack set forwarding ") + (*forwarding ? "on" : "off"),
           [this, on = *forwarding] { return outcome(dataplane_.set_forwarding(on)); });
}

void DaemonHandler::stack_show(Args& a, Done& done) {
    a.finish();
    later(done, [this]() -> Result { return stack_to_json(running_config_().stack); });
}

}  // namespace shmifd
