#include "sock_commands.hpp"

#include <cstdio>

#include "json_cells.hpp"
#include "table.hpp"

namespace shmifctl {

namespace {

using nlohmann::json;

std::string endpoint(const json& row, const char* key) {
    if (!row.is_object() || !row.contains(key) || !row[key].is_object()) return "-";
    return field(row[key], "addr") + ":" + field(row[key], "port");
}

}  // namespace

void add_sock_commands(CLI::App& app, Invocation& out) {
    CLI::App* sock =
        app.add_subcommand("sock", "Sockets of test processes (shmifrun, libshmifsock)");
    sock->require_subcommand(1);
    sock->add_subcommand(
            "list", "Every virtual socket: owner pid, state, addresses, bytes; the lanes' counters")
        ->callback([&out] {
            out.request.cmd = "sock.list";
            out.request.args = json::object();
        });
}

bool print_sock_result(std::FILE* out, const std::string& cmd, const json& result) {
    if (cmd != "sock.list") return false;
    Table table({"SOCK", "PID", "TYPE", "STATE", "LOCAL", "REMOTE", "WORKER", "BYTES_IN",
                 "BYTES_OUT", "DROPS"});
    for (const auto& s : list(result, "sockets"))
        table.add({field(s, "sock"), field(s, "pid"), field(s, "type"), field(s, "state"),
                   endpoint(s, "local"), endpoint(s, "remote"), field(s, "worker"),
                   field(s, "bytes_in"), field(s, "bytes_out"), field(s, "drops")});
    table.print(out);
    if (const auto lanes = result.find("lanes"); lanes != result.end() && lanes->is_object())
        std::fprintf(out, "lanes: %s open, %s changes applied, %s rejected\n",
                     field(*lanes, "open").c_str(), field(*lanes, "changes").c_str(),
                     field(*lanes, "rejected").c_str());
    return true;
}

}  // namespace shmifctl
