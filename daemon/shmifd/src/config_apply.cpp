#include "config_apply.hpp"

#include <algorithm>

#include "config_json.hpp"

namespace shmifd {

namespace {

std::string describe(const RouteSpec& r) {
    return "route to " + route_text(r);
}

// What the dataplane would store for `route`: the gateway's interface filled in.
RouteSpec resolved(RouteSpec route, const std::vector<InterfaceSpec>& interfaces) {
    if (route.interface || !route.via) return route;
    route.interface = interface_for_gateway(interfaces, *route.via);
    return route;
}

// Changing any of these means detaching and attaching the interface again.
bool same_attachment(const InterfaceSpec& running, const InterfaceSpec& next) {
    return running.bus == next.bus && running.format == next.format &&
           (!next.mac || running.mac == next.mac);
}

const InterfaceSpec* find_spec(const std::vector<InterfaceSpec>& list, const std::string& name) {
    auto it = std::find_if(list.begin(), list.end(), [&](const auto& i) { return i.name == name; });
    return it == list.end() ? nullptr : &*it;
}

std::string on_off(bool on) {
    return on ? "on" : "off";
}

template <class T>
bool contains(const std::vector<T>& list, const T& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

ApplyReport apply_config(Dataplane& dp, forward::ForwardService& forwards, const Config& next) {
    ApplyReport report;
    auto step = [&](const std::expected<void, control::CommandError>& outcome,
                    const std::string& what) {
        if (outcome)
            report.changes.push_back(what);
        else
            report.errors.push_back(what + " failed: " + outcome.error().message);
        if (!outcome && outcome.error().code == "address_in_use") report.address_in_use = true;
    };
    std::vector<RouteSpec> wanted_routes;
    for (const auto& r : next.routes)
        wanted_routes.push_back(resolved(r, next.interfaces));

    // Routes first out, last in: they refer to interfaces and gateways on their networks.
    const auto running_routes = dp.routes();
    for (const auto& r : running_routes)
        if (!contains(wanted_routes, r))
            step(dp.remove_route(r.dst, r.via, r.interface, r.metric), "remove " + describe(r));

    // The daemon's own lo first: a file that frees the name may use it for a bus interface.
    const auto lo = std::find_if(dp.interfaces().begin(), dp.interfaces().end(),
                                 [](const InterfaceState& i) { return i.loopback; });
    if (lo != dp.interfaces().end() && !next.daemon.loopback) {
        const std::string name = lo->spec.name;  // a copy: the removal frees lo's
        step(dp.remove_interface(name), "remove loopback interface " + name);
    } else if (lo == dp.interfaces().end() && next.daemon.loopback) {
        step(dp.add_loopback(), "add loopback interface lo (127.0.0.1/8)");
    }

    std::vector<std::string> names;
    for (const auto& i : dp.interfaces())
        if (!i.loopback) names.push_back(i.spec.name);  // the daemon's own, not the file's
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
        if (running->spec.mtu != spec.mtu)
            step(dp.set_mtu(spec.name, spec.mtu),
                 "set interface " + spec.name + " mtu " +
                     (spec.mtu != 0 ? std::to_string(spec.mtu) : "default"));
        for (auto [d, wanted, now] : {std::tuple{ImpairDirection::egress, &spec.impair_egress,
                                                 &running->spec.impair_egress},
                                      std::tuple{ImpairDirection::ingress, &spec.impair_ingress,
                                                 &running->spec.impair_ingress}})
            if (*wanted != *now)
                step(dp.set_impairment(spec.name, d, *wanted),
                     "set interface " + spec.name + " impair " +
                         (d == ImpairDirection::egress ? "egress " : "ingress ") +
                         shmif::impair::format_netem(*wanted));
        if (running->up != spec.up)
            step(dp.set_up(spec.name, spec.up),
                 "set interface " + spec.name + (spec.up ? " up" : " down"));
        if (running->spec.promisc != spec.promisc)
            step(dp.set_promisc(spec.name, spec.promisc),
                 "set interface " + spec.name +
                     (spec.promisc ? " promiscuous" : " not promiscuous"));
        if (running->spec.advertise != spec.advertise)
            step(dp.set_advertise(spec.name, spec.advertise),
                 spec.advertise ? "set router advertisements on " + spec.name
                                : "stop router advertisements on " + spec.name);
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
    // Services: those that go or change first, so a port moves from one to another.
    const auto running_services = dp.services();
    for (const auto& s : running_services)
        if (!contains(next.services, s))
            step(dp.remove_service(s.port, s.transport, s.kind), "remove service " + s.to_string());
    for (const auto& s : next.services)
        if (!contains(dp.services(), s)) step(dp.add_service(s), "add service " + s.to_string());
    if (dp.forwarding() != next.stack.forwarding)
        step(dp.set_forwarding(next.stack.forwarding),
             "set forwarding " + on_off(next.stack.forwarding));
    // Port forwards likewise: those that go or change first (their connections run on).
    for (const auto& f : forwards.specs())
        if (!contains(next.forwards, f)) step(forwards.remove(f, false), "remove " + f.name());
    for (const auto& f : next.forwards)
        if (!contains(forwards.specs(), f)) step(forwards.add(f), "add " + f.name());
    return report;
}

std::vector<std::string> runtime_changes_undone(const Config& file, const Dataplane& dp,
                                                const forward::ForwardService& forwards,
                                                const Config& next) {
    std::vector<std::string> out;
    // Set at run time (differs from the file before) and not what the new file says.
    auto undone = [](const auto& running, const auto& before, const auto& wanted) {
        return running != before && running != wanted;
    };
    for (const auto& state : dp.interfaces()) {
        if (state.loopback) continue;  // the daemon's own: a reload leaves it alone
        const auto& name = state.spec.name;
        const auto* before = find_spec(file.interfaces, name);
        const auto* wanted = find_spec(next.interfaces, name);
        if (!before) {
            if (!wanted) out.push_back("interface " + name + " on " + state.spec.bus);
            continue;
        }
        if (!wanted) continue;
        for (const auto& a : state.spec.addresses)
            if (!contains(before->addresses, a) && !contains(wanted->addresses, a))
                out.push_back("address " + a.to_string() + " on " + name);
        if (undone(state.spec.mtu, before->mtu, wanted->mtu))
            out.push_back("mtu " + std::to_string(state.mtu) + " on " + name);
        if (undone(state.up, before->up, wanted->up))
            out.push_back("interface " + name + (state.up ? " up" : " down"));
        if (undone(state.spec.impair_egress, before->impair_egress, wanted->impair_egress))
            out.push_back("impair egress " + shmif::impair::format_netem(state.spec.impair_egress) +
                          " on " + name);
        if (undone(state.spec.impair_ingress, before->impair_ingress, wanted->impair_ingress))
            out.push_back("impair ingress " +
                          shmif::impair::format_netem(state.spec.impair_ingress) + " on " + name);
    }
    std::vector<RouteSpec> before_routes, wanted_routes;
    for (const auto& r : file.routes)
        before_routes.push_back(resolved(r, file.interfaces));
    for (const auto& r : next.routes)
        wanted_routes.push_back(resolved(r, next.interfaces));
    for (const auto& r : dp.routes())
        if (!contains(before_routes, r) && !contains(wanted_routes, r)) out.push_back(describe(r));
    if (undone(dp.forwarding(), file.stack.forwarding, next.stack.forwarding))
        out.push_back("forwarding " + on_off(dp.forwarding()));
    for (const auto& f : forwards.specs())
        if (!contains(file.forwards, f) && !contains(next.forwards, f)) out.push_back(f.name());
    return out;
}

std::vector<std::string> restart_only_differences(const Config& running, const Config& next) {
    std::vector<std::string> out;
    if (running.daemon.socket != next.daemon.socket) out.push_back("daemon.socket");
    if (running.daemon.socket_group != next.daemon.socket_group)
        out.push_back("daemon.socket_group");
    if (running.daemon.workers != next.daemon.workers) out.push_back("daemon.workers");
    if (running.daemon.pin_workers != next.daemon.pin_workers) out.push_back("daemon.pin_workers");
    if (running.daemon.drain_ms != next.daemon.drain_ms) out.push_back("daemon.drain_ms");
    if (running.daemon.loopback != next.daemon.loopback) out.push_back("daemon.loopback");
    if (running.daemon.forward_max_connections != next.daemon.forward_max_connections)
        out.push_back("daemon.forward_max_connections");
    // Forwarding alone changes at run time (applied by apply_config).
    auto fixed = [](netstack::StackConfig stack) {
        stack.forwarding = false;
        return stack_to_json(stack);
    };
    if (fixed(running.stack) != fixed(next.stack)) out.push_back("stack");
    return out;
}

}  // namespace shmifd
