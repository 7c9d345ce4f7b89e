// shmifbus repair: rebuild a bus header from the file's size and format, ring emptied.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "shmif/check.hpp"
#include "units.hpp"

namespace shmifbus {

int run_repair(const RepairArgs& args) {
    const shmif::RepairOptions options{
        .format = args.format, .force = args.force, .max_frame = args.max_frame};
    auto repaired = shmif::repair_bus(args.bus, options);
    if (!repaired) {
        fmt::print(stderr, "shmifbus: {}: not repaired: {}\n", args.bus, repaired.error().why);
        return exit_failure;
    }
    const char* format = shmif::format_name(repaired->format);
    if (args.json) {
        const nlohmann::ordered_json j{{"path", args.bus},
                                       {"format", format},
                                       {"file_size", repaired->file_size},
                                       {"ring_size", repaired->ring_size},
                                       {"max_frame", repaired->max_frame},
                                       {"findings_before", repaired->findings}};
        fmt::print("{}\n", j.dump());
        return exit_ok;
    }
    fmt::print("{}: rebuilt the {} header (ring {}, max frame {}), ring emptied\n", args.bus,
               format, human_bytes(repaired->ring_size), repaired->max_frame);
    if (repaired->findings.empty()) {
        fmt::print("  (check had found nothing wrong)\n");
    } else {
        fmt::print("  it had {} problem(s):\n", repaired->findings.size());
        for (const auto& finding : repaired->findings)
            fmt::print("  {}\n", finding);
    }
    return exit_ok;
}

}  // namespace shmifbus
