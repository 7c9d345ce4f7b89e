#include "impair_commands.hpp"

#include <memory>
#include <vector>

#include "table.hpp"

namespace shmifctl {

namespace {

using nlohmann::json;

std::string field(const json& j, const char* key) {
    if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "-";
    return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

// One row per interface and direction: the settings and what they did.
void print_impairments(std::FILE* out, const json& result) {
    Table table({"INTERFACE", "DIRECTION", "NETEM", "SEED", "IN", "OUT", "LOST", "QUEUE_DROPS",
                 "DUPLICATED", "CORRUPTED", "REORDERED", "DELAYED", "QUEUED"});
    const json empty = json::array();
    const json& list =
        result.is_object() && result.contains("interfaces") ? result["interfaces"] : empty;
    for (const auto& i : list) {
        for (const char* d : {"egress", "ingress"}) {
            if (!i.contains(d)) continue;
            const json& dir = i[d];
            const json& c = dir.contains("counters") ? dir["counters"] : json::object();
            table.add({field(i, "name"), d, field(dir, "netem"), field(dir, "seed"),
                       field(c, "frames_in"), field(c, "frames_out"), field(c, "dropped_loss"),
                       field(c, "dropped_queue"), field(c, "duplicated"), field(c, "corrupted"),
                       field(c, "reordered"), field(c, "delayed"), field(c, "queued")});
        }
    }
    table.print(out);
}

std::string joined(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& w : words)
        text += (text.empty() ? "" : " ") + w;
    return text;
}

}  // namespace

void add_impair_commands(CLI::App& app, Invocation& out) {
    struct Words {
        std::string name;
        std::string direction;
        std::vector<std::string> netem;
    };
    auto w = std::make_shared<Words>();
    CLI::App* group = app.add_subcommand(
        "impair",
        "netem-style impairments on an interface: set, clear, show (e.g. impair set eth0 egress "
        "delay 20ms 5ms loss 1% rate 100mbit)");
    group->require_subcommand(1);

    CLI::App* set = group->add_subcommand(
        "set",
        "Impair INTERFACE in DIRECTION (egress, ingress or both) with NETEM, in tc-netem's "
        "words: delay TIME [JITTER [CORR]] [distribution uniform|normal|pareto|paretonormal], "
        "loss [random] PCT [CORR] | loss gemodel P [R [1-H [1-K]]], duplicate PCT [CORR], "
        "corrupt PCT [CORR], reorder PCT [CORR] [gap N] (with a delay), rate RATE, limit "
        "FRAMES, seed N. Replaces what the direction had; frames already held keep their "
        "times.");
    set->add_option("interface", w->name, "Interface name")->required();
    set->add_option("direction", w->direction, "egress, ingress or both")
        ->required()
        ->check(CLI::IsMember({"egress", "ingress", "both"}));
    set->add_option("netem", w->netem, "netem words")->required();
    set->callback([&out, w] {
        out.request.cmd = "impair.set";
        out.request.args =
            json{{"name", w->name}, {"direction", w->direction}, {"netem", joined(w->netem)}};
    });

    CLI::App* clear = group->add_subcommand(
        "clear",
        "Remove INTERFACE's impairment in DIRECTION (default both); held frames leave "
        "when due");
    clear->add_option("interface", w->name, "Interface name")->required();
    clear->add_option("direction", w->direction, "egress, ingress or both")
        ->check(CLI::IsMember({"egress", "ingress", "both"}));
    clear->callback([&out, w] {
        out.request.cmd = "impair.clear";
        out.request.args = json{{"name", w->name}};
        if (!w->direction.empty()) out.request.args["direction"] = w->direction;
    });

    CLI::App* show = group->add_subcommand(
        "show",
        "Settings and counters of every interface, or of INTERFACE (egress counted over "
        "all workers, ingress as one worker saw it)");
    show->add_option("interface", w->name, "Interface name");
    show->callback([&out, w] {
        out.request.cmd = "impair.show";
        out.request.args = json::object();
        if (!w->name.empty()) out.request.args["name"] = w->name;
    });
}

bool print_impair_result(std::FILE* out, const std::string& cmd, const json& result) {
    if (cmd != "impair.set" && cmd != "impair.clear" && cmd != "impair.show") return false;
    print_impairments(out, result);
    return true;
}

}  // namespace shmifctl
