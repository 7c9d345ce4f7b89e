// shmifbus check: validate a bus's header, lock and ring; exit 1 with what is wrong.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "shmif/check.hpp"

namespace shmifbus {

int run_check(const CheckArgs& args) {
    auto report = shmif::check_bus(args.bus, args.format);
    if (!report) return fail(args.bus, report.error());
    const char* format = report->format ? shmif::format_name(*report->format) : "unknown-format";
    if (args.json) {
        const nlohmann::ordered_json j{
            {"path", args.bus},
            {"format", report->format ? nlohmann::json(format) : nlohmann::json(nullptr)},
            {"file_size", report->file_size},
            {"lock", report->lock},
            {"frames", report->frames},
            {"clean", report->clean()},
            {"findings", report->findings}};
        fmt::print("{}\n", j.dump());
    } else if (report->clean()) {
        fmt::print("{}: {} bus, clean: {} frame(s) held, lock {}\n", args.bus, format,
                   report->frames, report->lock);
    } else {
        fmt::print("{}: {} bus, {} problem(s) (shmifbus repair rebuilds the header):\n", args.bus,
                   format, report->findings.size());
        for (const auto& finding : report->findings)
            fmt::print("  {}\n", finding);
    }
    return report->clean() ? exit_ok : exit_failure;
}

}  // namespace shmifbus
