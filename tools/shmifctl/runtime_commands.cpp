#include "runtime_commands.hpp"

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

namespace shmifctl {
namespace {

using nlohmann::json;

struct RuntimeValues {
    std::string name, setting, value, file;
    std::vector<std::string> words;
};

// `mtu N` (the one interface setting that changes in place).
json interface_settings(const std::string& name, const std::vector<std::string>& words) {
    if (words.size() != 2 || words[0] != "mtu")
        throw CLI::ValidationError("if set", "expected: if set NAME mtu N");
    std::uint64_t mtu = 0;
    try {
        std::size_t used = 0;
        mtu = std::stoull(words[1], &used);
        if (used != words[1].size()) throw std::invalid_argument(words[1]);
    } catch (const std::exception&) {
        throw CLI::ValidationError("mtu", fmt::format("not a number: {}", words[1]));
    }
    return json{{"name", name}, {"mtu", mtu}};
}

void add_if_set(CLI::App& app, Invocation& out, const std::shared_ptr<RuntimeValues>& v) {
    CLI::App* group = app.get_subcommand("if");
    CLI::App* set = group->add_subcommand(
        "set", "Change an interface in place: mtu N (68 up to what its bus carries)");
    set->add_option("name", v->name, "Interface name")->required();
    set->add_option("words", v->words, "mtu N")->required();
    set->callback([&out, v] {
        out.request.cmd = "if.set";
        out.request.args = interface_settings(v->name, v->words);
    });
}

void add_stack_commands(CLI::App& app, Invocation& out, const std::shared_ptr<RuntimeValues>& v) {
    CLI::App* group = app.add_subcommand("stack", "Stack-wide settings: set, show");
    group->require_subcommand(1);
    CLI::App* set = group->add_subcommand(
        "set", "Change a stack setting on every worker at once: forwarding on|off");
    set->add_option("setting", v->setting, "forwarding")
        ->required()
        ->check(CLI::IsMember({"forwarding"}));
    set->add_option("value", v->value, "on or off")
        ->required()
        ->check(CLI::IsMember({"on", "off"}));
    set->callback([&out, v] {
        out.request.cmd = "stack.set";
        out.request.args = json{{v->setting, v->value == "on"}};
    });
    group->add_subcommand("show", "The stack's settings (forwarding, TTL, ARP, ...)")
        ->callback([&out] {
            out.request.cmd = "stack.show";
            out.request.args = json::object();
        });
}

void add_config_save(CLI::App& app, Invocation& out, const std::shared_ptr<RuntimeValues>& v) {
    CLI::App* config = app.get_subcommand("config");
    CLI::App* save = config->add_subcommand(
        "save",
        "The running configuration, run-time changes included, as TOML that shmifd --config "
        "loads to the same state; written to FILE (by shmifctl, not the daemon), else printed");
    save->add_option("file", v->file, "Where to write it (replaced atomically)");
    save->callback([&out, v] {
        out.request.cmd = "config.save";
        out.request.args = json::object();
        out.save_to = v->file;
    });
    // `config` alone keeps its meaning; `config save` must not be overwritten by it, whichever
    // of the two callbacks CLI11 runs last.
    config->callback([&out, config] {
        if (config->got_subcommand("save")) return;
        out.request.cmd = "config";
        out.request.args = json::object();
    });
}

}  // namespace

void add_runtime_commands(CLI::App& app, Invocation& invocation) {
    auto values = std::make_shared<RuntimeValues>();
    add_if_set(app, invocation, values);
    add_stack_commands(app, invocation, values);
    add_config_save(app, invocation, values);
}

}  // namespace shmifctl
