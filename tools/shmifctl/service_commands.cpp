#include "service_commands.hpp"

#include <fmt/format.h>

#include <memory>

#include "service_validator.hpp"
#include "table.hpp"

namespace shmifctl {

namespace {

using nlohmann::json;

std::string text(const json& row, const char* key) {
    if (!row.is_object() || !row.contains(key) || row[key].is_null()) return "-";
    const auto& v = row[key];
    return v.is_string() ? v.get<std::string>() : v.dump();
}

const json& rows(const json& result, const char* key) {
    static const json empty = json::array();
    return result.is_object() && result.contains(key) && result[key].is_array() ? result[key]
                                                                                : empty;
}

void print_services(std::FILE* out, const json& result) {
    Table table({"SERVICE", "PROTO", "CONNECTIONS", "ACTIVE", "RX_BYTES", "TX_BYTES", "DATAGRAMS",
                 "REQUESTS", "ERRORS"});
    for (const auto& s : rows(result, "services"))
        table.add({text(s, "name"), text(s, "proto"), text(s, "connections"), text(s, "active"),
                   text(s, "bytes_received"), text(s, "bytes_sent"), text(s, "datagrams"),
                   text(s, "requests"), text(s, "errors")});
    table.print(out);
}

std::string millis(const json& row, const char* key) {
    if (!row.is_object() || !row.contains(key) || !row[key].is_number()) return "-";
    return fmt::format("{:.3f}", row[key].get<double>() / 1000.0);
}

// One line per connection as ss -tani prints them: state, queues, ends, then the details.
void print_tcp(std::FILE* out, const json& result) {
    Table table({"WORKER", "STATE", "RECV-Q", "SEND-Q", "LOCAL", "REMOTE", "MSS", "CWND", "SRTT_MS",
                 "RTO_MS", "RETRANS", "BYTES_SENT", "BYTES_RECEIVED"});
    for (const auto& c : rows(result, "connections"))
        table.add({text(c, "worker"), text(c, "state"), text(c, "recv_q"), text(c, "send_q"),
                   text(c, "local"), text(c, "remote"), text(c, "mss"), text(c, "cwnd"),
                   millis(c, "srtt_us"), millis(c, "rto_us"), text(c, "retransmits"),
                   text(c, "bytes_sent"), text(c, "bytes_received")});
    table.print(out);
}

}  // namespace

void add_service_commands(CLI::App& app, Invocation& out) {
    auto spec = std::make_shared<std::string>();
    CLI::App* group = app.add_subcommand(
        "service", "Test services on every worker: add, del, list (echo, discard, chargen, http)");
    group->require_subcommand(1);
    for (const auto& [word, help] :
         {std::pair{"add", "Serve KIND[:PORT][/tcp|udp|both], e.g. http:8080"},
          std::pair{"del", "Stop serving KIND[:PORT][/tcp|udp|both] (its connections abort)"}}) {
        CLI::App* sub = group->add_subcommand(word, help);
        sub->add_option("service", *spec, "KIND[:PORT][/PROTO]")
            ->required()
            ->check(shmif::tool::service_spec_validator());
        sub->callback([&out, spec, cmd = std::string("service.") + word] {
            out.request.cmd = cmd;
            out.request.args = json{{"name", *spec}};
        });
    }
    group->add_subcommand("list", "Services with their counters (summed over workers)")
        ->callback([&out] {
            out.request.cmd = "service.list";
            out.request.args = json::object();
        });
    CLI::App* tcp = app.add_subcommand("tcp", "TCP connections");
    tcp->require_subcommand(1);
    tcp->add_subcommand("list", "Every connection of every worker, like ss -tani")
        ->callback([&out] {
            out.request.cmd = "tcp.list";
            out.request.args = json::object();
        });
}

bool print_service_result(std::FILE* out, const std::string& cmd, const json& result) {
    if (cmd == "service.list") {
        print_services(out, result);
        return true;
    }
    if (cmd == "tcp.list") {
        print_tcp(out, result);
        return true;
    }
    return cmd == "service.add" || cmd == "service.del";  // nothing to print, as ip(8)
}

}  // namespace shmifctl
