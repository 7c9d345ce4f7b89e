// shmifbus: create, inspect, watch, check and repair shmif buses (native or NetBSD rump format).
//
// Exit status: 0 success, 1 the operation failed (see commands.hpp), 2 usage error.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "command_words.hpp"
#include "commands.hpp"
#include "units.hpp"
#include "version_flag.hpp"

namespace shmifbus {

int fail(const std::string& path, const shmif::Error& error) {
    fmt::print(stderr, "shmifbus: {}: {}\n", path, shmif::describe(error));
    return exit_failure;
}

int usage_error(const std::string& message) {
    fmt::print(stderr, "shmifbus: {}\n", message);
    return exit_usage;
}

namespace {

// CLI11 transforms: check the text, then hand the option its value in plain decimal.
CLI::Validator size_transform() {
    return {[](std::string& text) -> std::string {
                auto value = parse_size(text);
                if (!value) return fmt::format("invalid size '{}': {}", text, value.error());
                text = std::to_string(*value);
                return {};
            },
            "SIZE[K|M|G]"};
}

CLI::Validator mode_transform() {
    return {[](std::string& text) -> std::string {
                auto value = parse_mode(text);
                if (!value) return fmt::format("invalid mode '{}': {}", text, value.error());
                text = std::to_string(*value);
                return {};
            },
            "OCTAL"};
}

constexpr const char* kFooter =
    R"(Exit status: 0 success; 1 the operation failed (no such file, not a bus,
unsupported version, permission denied, check found problems, repair refused, ...); 2 usage
error. check exits 0 when the bus is clean and 1 with its findings. A native bus whose
header was overwritten refuses every send (corrupt bus header) until `repair` rebuilds it.

Each command has its own --help: shmifbus create --help.

Examples:
  shmifbus create /dev/shm/bus0                 native bus, 2 MiB ring
  shmifbus create /dev/shm/nb --format netbsd   1 MiB NetBSD rump (SHMIF_VERSION 3) bus
  shmifbus info /dev/shm/bus0 --json | jq .frames_held
                                                frames in the ring, for a script
  shmifbus stat /dev/shm/bus0 --interval 0.5 --count 10
                                                rates every half second, ten times
  shmifbus check /dev/shm/bus0 || shmifbus repair /dev/shm/bus0
                                                rebuild the header if it is damaged)";

}  // namespace

int main_(int argc, char** argv) {
    CLI::App app{
        "shmifbus: create, inspect, watch, check and repair shmif buses (virtual Ethernet segments "
        "that are memory-mapped files, native or NetBSD rump format)",
        "shmifbus"};
    app.footer(kFooter);
    app.require_subcommand(1);
    shmif::tool::add_version_flag(app);
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return fmt::format("shmifbus: {} (see --help)\n", e.what());
    });

    CreateArgs create;
    auto* c = app.add_subcommand(
        "create",
        "Create a bus file, initialised atomically (nobody ever maps a half-made bus). If the "
        "file is already a bus, attach to it instead, unless --exclusive. Its directory must "
        "exist (shmifbus does not make directories; the error names the missing one).\n"
        "Example: shmifbus create /dev/shm/bus0 --size 8M --mode 0666");
    c->add_option("BUS", create.bus, "Path of the bus file")->required();
    c->add_option("--format", create.format, "Bus format: native (fast, default) or netbsd")
        ->check(CLI::IsMember({"native", "netbsd"}))
        ->capture_default_str();
    c->add_option("--size", create.size,
                  "File size in bytes, with K/M/G = KiB/MiB/GiB suffixes (native: 4 KiB header "
                  "+ ring, default 2 MiB ring; netbsd: always 1M)")
        ->transform(size_transform());
    c->add_option("--mode", create.mode, "File mode in octal, applied regardless of umask")
        ->transform(mode_transform())
        ->default_str("0660");
    c->add_option("--max-frame", create.max_frame,
                  "Largest frame in bytes (native only; default 65553, capped at a quarter ring)")
        ->transform(size_transform());
    c->add_flag("--exclusive", create.exclusive, "Fail if the path already exists");

    InfoArgs info;
    auto* i = app.add_subcommand(
        "info",
        "Show a bus header: format, version, sizes, positions, frames held, lock owner and "
        "(native) lifetime totals. A native lock holder that is not running (stopped, traced, "
        "frozen) is shown as STALLED with how long it has held the lock; \"quarantined\" lists "
        "the ring regions kept from writers that were taken over while stalled.\n"
        "Example: shmifbus info /dev/shm/bus0 --json");
    i->add_option("BUS", info.bus, "Path of the bus file")->required();
    i->add_flag("--json", info.json, "Print one JSON object with stable snake_case keys");

    StatArgs stat;
    auto* s = app.add_subcommand(
        "stat",
        "Follow a bus as a reader and print, per interval, frames/s, bytes/s, Mbit/s, and the "
        "overruns and lost frames (NetBSD: lost bytes) this reader saw. Stops on Ctrl-C, "
        "SIGTERM (reporting the unfinished interval too, marked partial) or after --count "
        "intervals.\n"
        "Example: shmifbus stat /dev/shm/bus0 --interval 0.5 --count 10 --json");
    s->add_option("BUS", stat.bus, "Path of the bus file")->required();
    s->add_option("--interval", stat.interval_s, "Seconds per report")
        ->check(CLI::Range(0.001, 86400.0))
        ->capture_default_str();
    s->add_option("--count", stat.count, "Stop after this many reports (0: never)")
        ->capture_default_str();
    s->add_flag("--json", stat.json, "One JSON object per interval (JSON Lines)");

    CheckArgs check;
    std::string check_format;
    auto* k = app.add_subcommand(
        "check",
        "Validate a bus file: every header field (magic, version, sizes against the file "
        "size), the lock (and who holds it), the positions and the chain of records. Exit 0 "
        "clean, 1 with one line per problem found.\n"
        "Example: shmifbus check /dev/shm/bus0 --json");
    k->add_option("BUS", check.bus, "Path of the bus file")->required();
    k->add_option("--format", check_format,
                  "Format to assume when the magic number says neither (a 1 MiB file may be "
                  "either)")
        ->check(CLI::IsMember({"native", "netbsd"}));
    k->add_flag("--json", check.json,
                "One JSON object: path, format, file_size, lock, frames, clean, findings");

    RepairArgs repair;
    std::string repair_format;
    auto* r = app.add_subcommand(
        "repair",
        "Rebuild a bus header from the file's size and format and empty the ring (native: "
        "ring = size - 4 KiB, max frame kept if the magic survived, else the default; NetBSD: "
        "a fresh version 3 header on the 1 MiB file). Refuses while the native lock names a "
        "running thread (a live writer) unless --force; NetBSD's lock word is waited for and "
        "broken after a second, as writers do. Attached processes (shmifd, shmifdump, ...) "
        "resume by themselves.\n"
        "Example: shmifbus repair /dev/shm/bus0");
    r->add_option("BUS", repair.bus, "Path of the bus file")->required();
    r->add_option("--format", repair_format, "Format to rebuild when the magic says neither")
        ->check(CLI::IsMember({"native", "netbsd"}));
    r->add_flag("--force", repair.force,
                "Rewrite even while the lock names a running thread (its writes may be lost)");
    r->add_option("--max-frame", repair.max_frame, "Native: the largest frame to write")
        ->transform(size_transform());
    r->add_flag("--json", repair.json,
                "One JSON object: path, format, file_size, ring_size, max_frame, "
                "findings_before");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() != 0)  // not --help
            if (auto words = shmif::tool::command_word_error(app)) return usage_error(*words);
        const int status = app.exit(e);
        return status == 0 ? exit_ok : exit_usage;
    }

    if (c->parsed()) return run_create(create);
    if (i->parsed()) return run_info(info);
    if (k->parsed()) {
        check.format = shmif::parse_format(check_format);
        return run_check(check);
    }
    if (r->parsed()) {
        repair.format = shmif::parse_format(repair_format);
        return run_repair(repair);
    }
    return run_stat(stat);
}

}  // namespace shmifbus

int main(int argc, char** argv) {
    return shmifbus::main_(argc, argv);
}
