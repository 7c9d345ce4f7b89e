// shmifbus info: one look at a bus header.
#include <fmt/format.h>

#include "commands.hpp"
#include "report.hpp"

namespace shmifbus {

int run_info(const InfoArgs& args) {
    auto bus = shmif::Bus::open(args.bus);
    if (!bus) {
        const auto code = bus.error().code;
        if (code != shmif::Errc::not_a_bus && code != shmif::Errc::corrupt_header)
            return fail(args.bus, bus.error());
        // A damaged header is what `check` details field by field.
        fmt::print(stderr, "shmifbus: {}: {} (shmifbus check {} says what is wrong)\n", args.bus,
                   shmif::describe(bus.error()), args.bus);
        return exit_failure;
    }
    const auto info = bus->info();
    if (args.json) {
        fmt::print("{}\n", info_json(args.bus, info).dump());
    } else {
        fmt::print("{}", info_text(args.bus, info));
    }
    return exit_ok;
}

}  // namespace shmifbus
