#include "output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "fwd_commands.hpp"
#include "impair_commands.hpp"
#include "json_cells.hpp"
#include "service_commands.hpp"
#include "shmifd/control/payload_text.hpp"
#include "sock_commands.hpp"
#include "table.hpp"

namespace shmifctl {
namespace {

using nlohmann::json;

// Rows of objects with the given columns (header, key).
void print_rows(std::FILE* out, const json& rows,
                const std::vector<std::pair<std::string, const char*>>& columns) {
    std::vector<std::string> header;
    for (const auto& column : columns)
        header.push_back(column.first);
    Table table(header);
    for (const auto& row : rows) {
        std::vector<std::string> cells;
        for (const auto& column : columns)
            cells.push_back(field(row, column.second));
        table.add(std::move(cells));
    }
    table.print(out);
}

// Rows of objects whose keys are not fixed (counters): identifying columns first, then the
// others (alphabetical: JSON objects sort their keys).
void print_generic_rows(std::FILE* out, const json& rows) {
    std::vector<std::string> keys;
    for (const char* identity : {"name", "if", "id", "path"}) {
        for (const auto& row : rows) {
            if (row.is_object() && row.contains(identity)) {
                keys.emplace_back(identity);
                break;
            }
        }
    }
    // Nested detail (per-worker cursors of a bus, ...) does not fit a cell: --json shows it.
    for (const auto& row : rows) {
        if (!row.is_object()) continue;
        for (const auto& [key, value] : row.items())
            if (!value.is_structured() && std::find(keys.begin(), keys.end(), key) == keys.end())
                keys.push_back(key);
    }
    Table table(keys);
    for (const auto& row : rows) {
        std::vector<std::string> cells;
        for (const auto& key : keys)
            cells.push_back(field(row, key.c_str()));
        table.add(std::move(cells));
    }
    table.print(out);
}

// Nested counters as "path value" lines: grep-friendly, like sysctl. Counters at zero are
// left out (there are dozens of drop reasons); returns how many were.
std::size_t print_counters(std::FILE* out, const json& value, const std::string& path) {
    if (value.is_object()) {
        std::size_t zeros = 0;
        for (const auto& [key, child] : value.items())
            zeros += print_counters(out, child, path.empty() ? key : path + "." + key);
        return zeros;
    }
    if (value.is_number() && value == 0) return 1;
    fmt::print(out, "{} {}\n", path, cell(value));
    return 0;
}

// "UP", "DOWN", or what keeps it from working ("BUS-CORRUPT"); daemons before "state" had
// only "up".
std::string interface_state(const json& iface) {
    if (!iface.is_object()) return "-";
    std::string state = iface.contains("state") && iface["state"].is_string()
                            ? iface["state"].get<std::string>()
                            : (iface.value("up", false) ? "up" : "down");
    std::transform(state.begin(), state.end(), state.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return state;
}

void print_interfaces(std::FILE* out, const json& interfaces) {
    Table table({"NAME", "BUS", "MAC", "MTU", "STATE", "PROMISC", "ADDRESSES"});
    for (const auto& iface : interfaces) {
        std::string addresses;
        if (iface.is_object() && iface.contains("addresses") && iface["addresses"].is_array()) {
            for (const auto& address : iface["addresses"]) {
                if (!addresses.empty()) addresses += ",";
                addresses += cell(address);
            }
        }
        table.add({field(iface, "name"), field(iface, "bus"), field(iface, "mac"),
                   field(iface, "mtu"), interface_state(iface), field(iface, "promisc"),
                   addresses.empty() ? "-" : addresses});
    }
    table.print(out);
    // Why an interface cannot send is a sentence, too long for a cell: one line each below.
    for (const auto& iface : interfaces)
        if (iface.is_object() && iface.contains("problem") && iface["problem"].is_string())
            fmt::print(out, "{}: {}\n", field(iface, "name"), field(iface, "problem"));
}

double us_to_ms(const json& value) {
    return value.is_number() ? value.get<double>() / 1000.0 : 0.0;
}

void print_ping(std::FILE* out, const shmifd::control::Request& request, const json& result) {
    const std::string target = request.args.value("addr", std::string("?"));
    fmt::print(out, "PING {}: {} data bytes\n", target, request.args.value("size", 56));
    for (const auto& reply : list(result, "replies")) {
        fmt::print(out, "{} bytes from {}: icmp_seq={} ttl={} time={:.3f} ms\n",
                   field(reply, "size"), field(reply, "from"), field(reply, "seq"),
                   field(reply, "ttl"), us_to_ms(reply.value("rtt_us", json())));
    }
    const auto sent = result.value("sent", std::uint64_t{0});
    const auto received = result.value("received", std::uint64_t{0});
    const double loss = sent == 0 ? 0.0
                                  : 100.0 * static_cast<double>(sent - std::min(sent, received)) /
                                        static_cast<double>(sent);
    fmt::print(out, "--- {} ping statistics ---\n", target);
    fmt::print(out, "{} packets transmitted, {} received, {:.0f}% packet loss\n", sent, received,
               loss);
    if (received > 0)
        fmt::print(out, "rtt min/avg/max = {:.3f}/{:.3f}/{:.3f} ms\n",
                   us_to_ms(result.value("rtt_min_us", json())),
                   us_to_ms(result.value("rtt_avg_us", json())),
                   us_to_ms(result.value("rtt_max_us", json())));
}

// The payload's bytes: data_base64 is exact; `data` alone (older daemons) is text.
std::optional<std::string> payload_bytes(const json& datagram) {
    if (!datagram.is_object()) return std::nullopt;
    if (const auto it = datagram.find("data_base64"); it != datagram.end() && it->is_string())
        return shmifd::control::base64_decode(it->get<std::string>());
    if (const auto it = datagram.find("data"); it != datagram.end() && it->is_string())
        return it->get<std::string>();
    return std::nullopt;
}

// Text a terminal shows as it is: valid UTF-8 without control characters (a newline or an
// escape sequence in a payload would hide what was received).
bool shows_as_text(const std::string& bytes) {
    return shmifd::control::is_valid_utf8(bytes) && std::ranges::none_of(bytes, [](char c) {
               const auto u = static_cast<unsigned char>(c);
               return u < 0x20 || u == 0x7f;
           });
}

// "(5 bytes): hello", "(2 bytes, hex): fffe", "(2 bytes, base64): //4=".
std::string payload_text(const json& datagram, PayloadFormat format) {
    const std::string size = field(datagram, "size");
    const auto bytes = payload_bytes(datagram);
    if (!bytes) return fmt::format("({} bytes, payload missing from the reply)", size);
    if (format == PayloadFormat::base64)
        return fmt::format("({} bytes, base64): {}", size, shmifd::control::base64_encode(*bytes));
    if (format == PayloadFormat::text && shows_as_text(*bytes))
        return fmt::format("({} bytes): {}", size, *bytes);
    return fmt::format("({} bytes, hex): {}", size, shmifd::control::hex_encode(*bytes));
}

void print_datagrams(std::FILE* out, const json& result, PayloadFormat format) {
    const auto& datagrams = list(result, "datagrams");
    for (const auto& datagram : datagrams)
        fmt::print(out, "from {} {}\n", field(datagram, "from"), payload_text(datagram, format));
    if (datagrams.empty()) fmt::print(out, "no datagram\n");
}

void print_stats(std::FILE* out, const json& result) {
    fmt::print(out, "Interfaces:\n");
    print_generic_rows(out, list(result, "interfaces"));
    fmt::print(out, "\nWorkers:\n");
    print_generic_rows(out, list(result, "workers"));
    if (result.is_object() && result.contains("stack")) {
        fmt::print(out, "\nStack (summed over workers):\n");
        const std::size_t zeros = print_counters(out, result["stack"], "");
        if (zeros != 0)
            fmt::print(out, "({} counters at zero not shown; --json shows all)\n", zeros);
    }
}

}  // namespace

void print_human(std::FILE* out, const Invocation& invocation, const json& result) {
    const auto& request = invocation.request;
    const std::string& cmd = request.cmd;
    if (print_service_result(out, cmd, result)) return;
    if (print_impair_result(out, cmd, result)) return;
    if (print_sock_result(out, cmd, result)) return;
    if (print_fwd_result(out, cmd, result)) return;
    if (cmd == "version") {
        fmt::print(out, "shmifd {} (protocol {})\n", field(result, "daemon"),
                   field(result, "protocol"));
    } else if (cmd == "if.list") {
        print_interfaces(out, list(result, "interfaces"));
    } else if (cmd == "if.add") {
        print_interfaces(out, json::array({result}));
    } else if (cmd == "addr.list") {
        print_rows(out, list(result, "addresses"),
                   {{"IF", "if"}, {"ADDRESS", "addr"}, {"STATE", "state"}});
    } else if (cmd == "route.list") {
        print_rows(
            out, list(result, "routes"),
            {{"DESTINATION", "dst"}, {"GATEWAY", "via"}, {"IF", "if"}, {"METRIC", "metric"}});
    } else if (cmd == "neigh.list") {
        print_rows(out, list(result, "neighbours"),
                   {{"IF", "if"},
                    {"ADDRESS", "addr"},
                    {"MAC", "mac"},
                    {"STATE", "state"},
                    {"EXPIRES_MS", "expires_ms"},
                    {"WORKER", "worker"}});
    } else if (cmd == "ping") {
        print_ping(out, request, result);
    } else if (cmd == "udp.send") {
        fmt::print(out, "sent {} bytes from {}\n", field(result, "sent"), field(result, "from"));
    } else if (cmd == "udp.recv") {
        print_datagrams(out, result, invocation.payload_format);
    } else if (cmd == "stats") {
        print_stats(out, result);
    } else if (cmd == "bus.stats") {
        print_generic_rows(out, list(result, "buses"));
    } else if (cmd == "config.save") {
        if (invocation.save_to.empty()) fmt::print(out, "{}", result.value("toml", ""));
    } else if (cmd == "config" || cmd == "stack.show") {
        fmt::print(out, "{}\n", result.dump(2, ' ', false, json::error_handler_t::replace));
    }
    // Mutations (if del/up/down, addr add/del, route add/del, neigh flush) print nothing on
    // success, as ip(8) does.
}

}  // namespace shmifctl
