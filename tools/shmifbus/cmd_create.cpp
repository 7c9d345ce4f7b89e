// shmifbus create: make a bus file (or attach to the one already there). Directories are
// not made: a path in a directory that does not exist is an error naming that directory.
#include <sys/stat.h>

#include <cerrno>

#include <fmt/format.h>

#include <filesystem>
#include <optional>

#include "commands.hpp"
#include "report.hpp"
#include "units.hpp"

namespace shmifbus {

namespace {

// Why the directory `bus` would go in cannot hold it, when that is so ("directory D does
// not exist", "D is not a directory"); the library's "no such bus" would mislead.
std::optional<std::string> directory_problem(const std::string& bus) {
    auto dir = std::filesystem::path(bus).parent_path();
    if (dir.empty()) return std::nullopt;
    struct ::stat st {};
    if (::stat(dir.c_str(), &st) == 0)
        return S_ISDIR(st.st_mode)
                   ? std::nullopt
                   : std::optional(fmt::format("{} is not a directory", dir.native()));
    if (errno == ENOENT) return fmt::format("directory {} does not exist", dir.native());
    if (errno == ENOTDIR) return fmt::format("{} is not in a directory", dir.native());
    return std::nullopt;  // permission problems: the create's own error says it
}

}  // namespace

int run_create(const CreateArgs& args) {
    const auto format = shmif::parse_format(args.format);
    if (!format) return usage_error(fmt::format("unknown format '{}'", args.format));
    if (*format == shmif::Format::netbsd) {
        // NetBSD's driver maps exactly 1 MiB and reads frames of any length up to the ring;
        // neither is ours to choose.
        if (args.size != 0 && args.size != 1024 * 1024)
            return usage_error("--size: a NetBSD bus is always 1 MiB (1048576 bytes)");
        if (args.max_frame != 0) return usage_error("--max-frame: only the native format has one");
    }

    struct ::stat before {};
    const bool existed = ::stat(args.bus.c_str(), &before) == 0;

    shmif::CreateOptions opts;
    opts.format = *format;
    opts.size = args.size;
    opts.mode = args.mode;
    opts.max_frame = args.max_frame;
    opts.exclusive = args.exclusive;
    auto bus = shmif::Bus::create(args.bus, opts);
    if (!bus) {
        if (bus.error().code == shmif::Errc::invalid_argument && *format == shmif::Format::native)
            return usage_error(
                "--size/--max-frame out of range: the ring (size - 4 KiB header) must be a "
                "multiple of 8 between 64 KiB and 4 GiB, and a frame at most a quarter of it");
        if (auto problem = directory_problem(args.bus)) {
            fmt::print(stderr, "shmifbus: {}: {}\n", args.bus, *problem);
            return exit_failure;
        }
        return fail(args.bus, bus.error());
    }

    const auto info = bus->info();
    struct ::stat after {};
    const ::mode_t mode = ::stat(args.bus.c_str(), &after) == 0 ? after.st_mode : args.mode;
    fmt::print("{} {} bus {}: {} bytes (ring {}), max frame {}, mode {}\n",
               existed ? "attached to existing" : "created", shmif::format_name(info.format),
               args.bus, info.file_size, human_bytes(info.data_size), info.max_frame,
               mode_string(mode));
    return exit_ok;
}

}  // namespace shmifbus
