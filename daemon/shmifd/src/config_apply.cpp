#include "config_apply.hpp"

#include <algorithm>

#include "config_json.hpp"

namespace shmifd {

namespace {

std::string describe(const RouteSpec& r) {
    std::string text = "route to " + route_destination_text(r.dst);
    if (r.via) text += " via " + r.via->to_string();
    if (r.interface) text += " dev " + *r.interface;
    if (r.metric != 0) text += " metric " + std::to_string(r.metric);
    return text;
}

// What the dataplane would store for `route`: the gateway's interface filled in.
RouteSpec resolved(RouteSpec route, const std::vector<InterfaceSpec>& interfaces) {
    if (route.interface || !route.via) return route;
    route.interface = interface_for_gateway(interfaces, *route.via);
    return route;
}

// Changing any of these means detaching and attaching the interface again.
bool same_attachment(const InterfaceSpec& running, const InterfaceSpec& next) {
    return running.bus == next.bus && running.format == next.format && running.mtu == next.mtu &&
           (!next.mac || running.mac == next.mac);
}

template <class T>
bool contains(const std::vector<T>& list, const T& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

ApplyReport apply_config(Dataplane& dp, const Config& next) {
    ApplyReport report;
    auto step = [&](const Dataplane::Outcome& outcome, const std::string& what) {
        if (outcome)
            report.changes.push_back(what);
        else
            report.errors.push_back(what + " failed: " + outcome.error().message);
    };
    std::vector<RouteSpec> wanted_routes;
    for (const auto& r : next.routes)
        wanted_routes.push_back(resolved(r, next.interfaces));

    // Routes first out, last in: they refer to interfaces and gateways on their networks.
    const auto running_routes = dp.routes();
    for (const auto& r : running_routes)
        if (!contains(wanted_routes, r))
            step(dp.remove_route(r.dst, r.via, r.interface, r.metric), "remove " + describe(r));

    std::vector<std::string> names;
    for (const auto& i : dp.interfaces())
        names.push_back(i.spec.name);
    for (const auto& name : names) {
        auto wanted = std::find_if(next.interfaces.begin(), next.interfaces.end(),
                                   [&](const auto& i) { return i.name == name; });
        if (wanted == next.interfaces.end() || !same_attachment(dp.find(name)->spec, *wanted))
            step(dp.remove_interface(name), "remove interface " + name);
    }

    for (const auto& spec : next.interfaces) {
        const auto* running = dp.find(spec.name);
        if (running == nullptr) {
            step(dp.add_interface(spec), "add interface " + spec.name + " on " + spec.bus);
            continue;
        }
        if (running->spec.promisc != spec.promisc)
            step(dp.set_promisc(spec.name, spec.promisc),
                 "set interface " + spec.name +
                     (spec.promisc ? " promiscuous" : " not promiscuous"));
        const auto current = running->spec.addresses;  // copied: the calls below change it
        for (const auto& address : current)
            if (!contains(spec.addresses, address))
                step(dp.remove_address(spec.name, address),
                     "remove address " + address.to_string() + " from " + spec.name);
        for (const auto& address : spec.addresses)
            if (!contains(current, address))
                step(dp.add_address(spec.name, address),
                     "add address " + address.to_string() + " to " + spec.name);
    }

    for (const auto& r : wanted_routes)
        if (!contains(dp.routes(), r)) step(dp.add_route(r), "add " + describe(r));
    return report;
}

std::vector<std::string> restart_only_differences(const Config& running, const Config& next) {
    std::vector<std::string> out;
    if (running.daemon.socket != next.daemon.socket) out.push_back("daemon.socket");
    if (running.daemon.socket_group != next.daemon.socket_group)
        out.push_back("daemon.socket_group");
    if (running.daemon.workers != next.daemon.workers) out.push_back("daemon.workers");
    if (stack_to_json(running.stack) != stack_to_json(next.stack)) out.push_back("stack");
    return out;
}

}  // namespace shmifd
