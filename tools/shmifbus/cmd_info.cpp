// shmifbus info: one look at a bus header.
#include <fmt/format.h>

#include "commands.hpp"
#include "report.hpp"

namespace shmifbus {

int run_info(const InfoArgs& args) {
    auto bus = shmif::Bus::open(args.bus);
    if (!bus) return fail(args.bus, bus.error());
    const auto info = bus->info();
    if (args.json) {
        fmt::print("{}\n", info_json(args.bus, info).dump());
    } else {
        fmt::print("{}", info_text(args.bus, info));
    }
    return exit_ok;
}

}  // namespace shmifbus
