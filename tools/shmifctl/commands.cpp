#include "commands.hpp"

#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fwd_commands.hpp"
#include "impair_commands.hpp"
#include "runtime_commands.hpp"
#include "service_commands.hpp"
#include "shmifd/control/payload_text.hpp"
#include "sock_commands.hpp"

namespace shmifctl {
namespace {

using nlohmann::json;

// What the options of every command write into; owned by the callbacks (and so by the app).
struct Values {
    std::string name, bus, mac, format, iface, cidr, addr, to, data;
    std::optional<std::uint64_t> mtu, from_port;
    bool promisc = false;
    bool no_create = false;
    bool hex = false, base64 = false;
    std::vector<std::string> route_words;
    std::uint64_t count = 1, size = 56, port = 0, recv_count = 1, recv_timeout_ms = 1000;
    double interval_s = 1.0, wait_s = 1.0;
};

using ValuesPtr = std::shared_ptr<Values>;

// A leaf command: `cmd` with the args `make_args` builds from the values once parsed.
template <typename MakeArgs>
CLI::App* leaf(CLI::App& parent, const std::string& word, const std::string& help, Invocation& out,
               std::string cmd, MakeArgs make_args) {
    CLI::App* sub = parent.add_subcommand(word, help);
    sub->callback([&out, cmd = std::move(cmd), make_args] {
        out.request.cmd = cmd;
        out.request.args = make_args();
    });
    return sub;
}

json no_args() {
    return json::object();
}

json optional_if(const Values& v) {
    return v.iface.empty() ? json::object() : json{{"if", v.iface}};
}

std::chrono::milliseconds seconds_to_ms(double seconds) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

// `DST [via GW] [dev IF] [metric N]`, as ip-route(8) writes it.
json route_args(const std::vector<std::string>& words) {
    if (words.empty()) throw CLI::ValidationError("route", "a destination is required");
    json args = {{"dst", words[0]}};
    for (std::size_t i = 1; i < words.size(); i += 2) {
        const std::string& key = words[i];
        if (i + 1 >= words.size())
            throw CLI::ValidationError("route", fmt::format("{} needs a value", key));
        const std::string& value = words[i + 1];
        if (key == "via") {
            args["via"] = value;
        } else if (key == "dev") {
            args["if"] = value;
        } else if (key == "metric") {
            std::uint64_t metric = 0;
            try {
                std::size_t used = 0;
                metric = std::stoull(value, &used);
                if (used != value.size()) throw std::invalid_argument(value);
            } catch (const std::exception&) {
                throw CLI::ValidationError("metric", fmt::format("not a number: {}", value));
            }
            args["metric"] = metric;
        } else {
            throw CLI::ValidationError(
                "route", fmt::format("unknown word {:?} (expected via, dev or metric)", key));
        }
    }
    return args;
}

void add_interface_commands(CLI::App& app, Invocation& out, const ValuesPtr& v) {
    CLI::App* group = app.add_subcommand("if", "Interfaces: add, del, up, down, list");
    group->require_subcommand(1);
    CLI::App* add = leaf(*group, "add", "Attach an interface to a bus (created if missing)", out,
                         "if.add", [v] {
                             json args = {{"name", v->name}, {"bus", v->bus}};
                             if (!v->mac.empty()) args["mac"] = v->mac;
                             if (v->mtu) args["mtu"] = *v->mtu;
                             if (!v->format.empty()) args["format"] = v->format;
                             if (v->promisc) args["promisc"] = true;
                             if (v->no_create) args["create"] = false;
                             return args;
                         });
    add->add_option("name", v->name, "Interface name, e.g. eth0")->required();
    add->add_option("bus", v->bus, "Path of the bus file")->required();
    add->add_option("--mac", v->mac, "MAC address (default: derived by the daemon)");
    add->add_option("--mtu", v->mtu, "MTU in bytes")->check(CLI::Range(68, 65535));
    add->add_option("--format", v->format, "Bus format when creating it")
        ->check(CLI::IsMember({"native", "netbsd"}));
    add->add_flag("--promisc", v->promisc, "Receive frames for every MAC address");
    add->add_flag("--no-create", v->no_create, "Fail instead of creating a missing bus");

    for (const auto& [word, help] :
         {std::pair{"del", "Remove an interface"}, std::pair{"up", "Bring an interface up"},
          std::pair{"down", "Take an interface down"}}) {
        CLI::App* sub = leaf(*group, word, help, out, std::string("if.") + word, [v] {
            return json{{"name", v->name}};
        });
        sub->add_option("name", v->name, "Interface name")->required();
    }
    leaf(*group, "list", "List interfaces", out, "if.list", no_args);
}

void add_address_commands(CLI::App& app, Invocation& out, const ValuesPtr& v) {
    CLI::App* group = app.add_subcommand("addr", "Addresses (IPv4 and IPv6): add, del, list");
    group->require_subcommand(1);
    for (const auto& [word, help] :
         {std::pair{"add", "Add an address, e.g. 10.0.0.1/24 or 2001:db8::1/64"},
          std::pair{"del", "Remove an address"}}) {
        CLI::App* sub = leaf(*group, word, help, out, std::string("addr.") + word, [v] {
            return json{{"if", v->iface}, {"addr", v->cidr}};
        });
        sub->add_option("if", v->iface, "Interface name")->required();
        sub->add_option("cidr", v->cidr, "ADDRESS/PREFIX")->required();
    }
    CLI::App* list = leaf(*group, "list", "List addresses (of one interface)", out, "addr.list",
                          [v] { return optional_if(*v); });
    list->add_option("if", v->iface, "Interface name");
}

void add_route_commands(CLI::App& app, Invocation& out, const ValuesPtr& v) {
    CLI::App* group = app.add_subcommand("route", "Routes: add, del, list");
    group->require_subcommand(1);
    for (const auto& [word, help] :
         {std::pair{"add", "Add a route: DST [via GW] [dev IF] [metric N]; DST may be default"},
          std::pair{"del", "Remove a route: DST [via GW] [dev IF] [metric N]"}}) {
        CLI::App* sub = leaf(*group, word, help, out, std::string("route.") + word,
                             [v] { return route_args(v->route_words); });
        sub->add_option("words", v->route_words, "DST [via GW] [dev IF] [metric N]")->required();
    }
    leaf(*group, "list", "List routes", out, "route.list", no_args);
}

void add_neighbour_commands(CLI::App& app, Invocation& out, const ValuesPtr& v) {
    CLI::App* group = app.add_subcommand(
        "neigh", "Neighbour cache (ARP and IPv6 Neighbor Discovery): list, flush");
    group->require_subcommand(1);
    for (const auto& [word, help] :
         {std::pair{"list", "List neighbour entries (of one interface)"},
          std::pair{"flush", "Forget neighbour entries (of one interface)"}}) {
        CLI::App* sub = leaf(*group, word, help, out, std::string("neigh.") + word,
                             [v] { return optional_if(*v); });
        sub->add_option("if", v->iface, "Interface name");
    }
}

void add_ping_command(CLI::App& app, Invocation& out, const ValuesPtr& v) {
    CLI::App* ping = leaf(app, "ping", "Send ICMP or ICMPv6 echo requests from the daemon's stack",
                          out, "ping", [v, &out] {
                              const auto interval = seconds_to_ms(v->interval_s);
                              const auto wait = seconds_to_ms(v->wait_s);
                              out.command_time =
                                  interval * static_cast<std::int64_t>(v->count) + wait;
                              return json{{"addr", v->addr},
                                          {"count", v->count},
                                          {"size", v->size},
                                          {"interval_ms", interval.count()},
                                          {"timeout_ms", wait.count()}};
                          });
    ping->add_option("addr", v->addr, "IPv4 or IPv6 address to ping")->required();
    ping->add_option("-c,--count", v->count, "Echo requests to send")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    ping->add_option("-s,--size", v->size, "Payload bytes")
        ->check(CLI::Range(0, 65507))
        ->capture_default_str();
    ping->add_option("-i,--interval", v->interval_s, "Seconds between requests")
        ->check(CLI::Range(0.001, 3600.0))
        ->capture_default_str();
    ping->add_option("-W,--wait", v->wait_s, "Seconds to wait for the last reply")
        ->check(CLI::Range(0.0, 3600.0))
        ->capture_default_str();
}

PayloadFormat payload_format(const Values& v) {
    return v.hex ? PayloadFormat::hex : v.base64 ? PayloadFormat::base64 : PayloadFormat::text;
}

// `udp send` DATA as the bytes it stands for; they travel as text when they are valid UTF-8,
// else as data_base64 (a JSON string cannot hold them unchanged).
json payload_args(const Values& v) {
    std::optional<std::string> bytes = v.data;
    if (v.hex) bytes = shmifd::control::hex_decode(v.data);
    if (v.base64) bytes = shmifd::control::base64_decode(v.data);
    if (!bytes)
        throw CLI::ValidationError(
            "data", fmt::format("not {}: {}",
                                v.hex ? "hexadecimal (pairs of digits)" : "canonical padded base64",
                                v.data));
    if (shmifd::control::is_valid_utf8(*bytes)) return json{{"data", *bytes}};
    return json{{"data_base64", shmifd::control::base64_encode(*bytes)}};
}

void add_payload_flags(CLI::App& command, const ValuesPtr& v, const std::string& hex_help,
                       const std::string& base64_help) {
    auto* hex = command.add_flag("--hex", v->hex, hex_help);
    command.add_flag("--base64", v->base64, base64_help)->excludes(hex);
}

void add_udp_commands(CLI::App& app, Invocation& out, const ValuesPtr& v) {
    CLI::App* group = app.add_subcommand("udp", "UDP from the daemon's stack: send, recv");
    group->require_subcommand(1);
    CLI::App* send = leaf(*group, "send", "Send one datagram", out, "udp.send", [v] {
        json args = payload_args(*v);
        args["to"] = v->to;
        if (v->from_port) args["from_port"] = *v->from_port;
        return args;
    });
    send->add_option("to", v->to, "ADDRESS:PORT")->required();
    send->add_option("data", v->data,
                     "Payload: these bytes exactly (any bytes), or --hex / --base64 text")
        ->required();
    send->add_option("--from-port", v->from_port, "Source port (default: ephemeral)")
        ->check(CLI::Range(1, 65535));
    add_payload_flags(*send, v, "DATA is hexadecimal, e.g. fffe", "DATA is base64, e.g. //4=");

    CLI::App* recv = leaf(
        *group, "recv",
        "Wait for datagrams on a port; payloads are shown as text when they are valid UTF-8 "
        "without control characters, else in hexadecimal (marked \"hex\"); exit 1 if none came",
        out, "udp.recv", [v, &out] {
            out.command_time = std::chrono::milliseconds(v->recv_timeout_ms);
            out.payload_format = payload_format(*v);
            return json{
                {"port", v->port}, {"count", v->recv_count}, {"timeout_ms", v->recv_timeout_ms}};
        });
    add_payload_flags(*recv, v, "Show payloads in hexadecimal", "Show payloads in base64");
    recv->add_option("port", v->port, "UDP port")->required()->check(CLI::Range(1, 65535));
    recv->add_option("--count", v->recv_count, "Datagrams to wait for")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    recv->add_option("--timeout", v->recv_timeout_ms, "Milliseconds to wait")
        ->check(CLI::Range(0, 3600000))
        ->capture_default_str();
}

void add_report_commands(CLI::App& app, Invocation& out, const ValuesPtr& v) {
    leaf(app, "version", "Daemon and protocol version", out, "version", no_args);
    leaf(app, "stats", "Interface, worker and stack counters", out, "stats", no_args);
    leaf(app, "config", "The running configuration (JSON in the TOML file's shape)", out, "config",
         no_args);
    CLI::App* group = app.add_subcommand("bus", "Bus counters");
    group->require_subcommand(1);
    CLI::App* stats = leaf(*group, "stats", "Bus counters (of one interface)", out, "bus.stats",
                           [v] { return optional_if(*v); });
    stats->add_option("if", v->iface, "Interface name");
}

}  // namespace

void add_commands(CLI::App& app, Invocation& invocation) {
    auto values = std::make_shared<Values>();
    add_report_commands(app, invocation, values);
    add_interface_commands(app, invocation, values);
    add_address_commands(app, invocation, values);
    add_route_commands(app, invocation, values);
    add_neighbour_commands(app, invocation, values);
    add_ping_command(app, invocation, values);
    add_udp_commands(app, invocation, values);
    add_runtime_commands(app, invocation);
    add_service_commands(app, invocation);
    add_impair_commands(app, invocation);
    add_sock_commands(app, invocation);
    add_fwd_commands(app, invocation);
}

}  // namespace shmifctl
