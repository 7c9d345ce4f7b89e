#include "fwd_commands.hpp"

#include <memory>

#include "forward/forward_spec.hpp"
#include "json_cells.hpp"
#include "table.hpp"

namespace shmifctl {

namespace {

using nlohmann::json;
namespace fwd = shmifd::forward;

struct FwdOptions {
    std::string spec;
    bool expose = false;
    bool kill = false;
    std::optional<std::uint64_t> max_connections;
    std::optional<std::uint64_t> udp_timeout_ms;
};

// The spec is checked here, so that a typo is a usage error before anything is sent.
void check_spec(const FwdOptions& o) {
    const auto direction = o.expose ? fwd::Direction::outbound : fwd::Direction::inbound;
    if (auto spec = fwd::parse_forward(o.spec, direction); !spec)
        throw CLI::ValidationError("SPEC", spec.error());
}

json spec_args(const FwdOptions& o) {
    return json{{"spec", o.spec}, {"direction", o.expose ? "expose" : "forward"}};
}

void print_forwards(std::FILE* out, const json& result) {
    Table table({"DIRECTION", "SPEC", "ACTIVE", "MAX", "CONNECTIONS", "REFUSED", "FAILED",
                 "TO_VIRTUAL", "TO_HOST"});
    Table live({"DIRECTION", "SPEC", "HOST", "LOCAL", "REMOTE", "STATE", "SHARD", "TO_VIRTUAL",
                "TO_HOST"});
    for (const auto& f : list(result, "forwards")) {
        auto direction = field(f, "direction");
        if (f.value("deleted", false)) direction += " (deleted)";
        table.add({direction, field(f, "spec"), field(f, "active"), field(f, "max_connections"),
                   field(f, "connections"), field(f, "refused"), field(f, "failed"),
                   field(f, "bytes_to_virtual"), field(f, "bytes_to_host")});
        for (const auto& c : list(f, "live"))
            live.add({field(f, "direction"), field(f, "spec"), field(c, "host"), field(c, "local"),
                      field(c, "remote"), field(c, "state"), field(c, "shard"),
                      field(c, "bytes_to_virtual"), field(c, "bytes_to_host")});
    }
    table.print(out);
    if (live.empty()) return;
    std::fputs("\n", out);
    live.print(out);
}

}  // namespace

void add_fwd_commands(CLI::App& app, Invocation& out) {
    auto o = std::make_shared<FwdOptions>();
    CLI::App* group = app.add_subcommand(
        "fwd", "Port forwards: host -> virtual network (--forward), virtual -> host (--expose)");
    group->require_subcommand(1);
    auto* add = group->add_subcommand(
        "add",
        "Forward tcp:[HOST_ADDR:]PORT[-LAST]=VIRT_ADDR[:PORT[-LAST]] (host address "
        "127.0.0.1 unless written), or with --expose tcp:VIRT_ADDR:PORT[-LAST]=[HOST_ADDR:]"
        "[PORT[-LAST]]");
    add->add_option("spec", o->spec, "the forward")->required();
    add->add_flag("--expose", o->expose,
                  "listen in the virtual network, connect on the host (default: the reverse)");
    add->add_option("--max-connections", o->max_connections,
                    "live connections at most (default 4096); more are refused")
        ->check(CLI::Range(1, 1'000'000));
    add->add_option("--udp-timeout", o->udp_timeout_ms,
                    "milliseconds a UDP flow may be idle (default 60000)")
        ->check(CLI::Range(100, 86'400'000));
    add->callback([&out, o] {
        check_spec(*o);
        out.request.cmd = "fwd.add";
        out.request.args = spec_args(*o);
        if (o->max_connections) out.request.args["max_connections"] = *o->max_connections;
        if (o->udp_timeout_ms) out.request.args["udp_timeout_ms"] = *o->udp_timeout_ms;
    });
    auto* del = group->add_subcommand(
        "del", "Stop a forward: no new connections; live ones run to their end unless --kill");
    del->add_option("spec", o->spec, "the forward, as added")->required();
    del->add_flag("--expose", o->expose, "an --expose forward");
    del->add_flag("--kill", o->kill, "also reset its live connections, both sides");
    del->callback([&out, o] {
        check_spec(*o);
        out.request.cmd = "fwd.del";
        out.request.args = spec_args(*o);
        if (o->kill) out.request.args["kill"] = true;
    });
    group->add_subcommand("list", "Forwards with their counters, and their live connections")
        ->callback([&out] {
            out.request.cmd = "fwd.list";
            out.request.args = json::object();
        });
}

bool print_fwd_result(std::FILE* out, const std::string& cmd, const json& result) {
    if (cmd == "fwd.list") {
        print_forwards(out, result);
        return true;
    }
    return cmd == "fwd.add" || cmd == "fwd.del";  // nothing to print, as ip(8)
}

}  // namespace shmifctl
