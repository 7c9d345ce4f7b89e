#include "service_commands.hpp"

#include <fmt/format.h>

#include <memory>

#include "json_cells.hpp"
#include "service_validator.hpp"
#include "table.hpp"

namespace shmifctl {

namespace {

using nlohmann::json;

void print_services(std::FILE* out, const json& result) {
    Table table({"SERVICE", "PROTO", "CONNECTIONS", "ACTIVE", "RX_BYTES", "TX_BYTES", "DATAGRAMS",
                 "REQUESTS", "ERRORS"});
    for (const auto& s : list(result, "services"))
        table.add({field(s, "name"), field(s, "proto"), field(s, "connections"), field(s, "active"),
                   field(s, "bytes_received"), field(s, "bytes_sent"), field(s, "datagrams"),
                   field(s, "requests"), field(s, "errors")});
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
    for (const auto& c : list(result, "connections"))
        table.add({field(c, "worker"), field(c, "state"), field(c, "recv_q"), field(c, "send_q"),
                   field(c, "local"), field(c, "remote"), field(c, "mss"), field(c, "cwnd"),
                   millis(c, "srtt_us"), millis(c, "rto_us"), field(c, "retransmits"),
                   field(c, "bytes_sent"), field(c, "bytes_received")});
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
