// The subcommands of shmifbus. Each run_* returns the process exit status:
//   0  success
//   1  the operation failed (no such bus, not a bus, unsupported version, permission denied,
//      bus already exists with --exclusive, ...): one line on stderr, "shmifbus: PATH: why"
//   2  usage error (unknown option, bad value): CLI11 parse errors, and values only the
//      command can check (e.g. --size with --format netbsd)
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "exit_status.hpp"
#include "shmif/bus.hpp"
#include "shmif/error.hpp"

namespace shmifbus {

using shmif::tool::exit_failure;
using shmif::tool::exit_ok;
using shmif::tool::exit_usage;
using shmif::tool::ExitStatus;

// "shmifbus: PATH: <shmif::describe(error)>" on stderr; returns exit_failure.
int fail(const std::string& path, const shmif::Error& error);
// "shmifbus: <message>" on stderr; returns exit_usage.
int usage_error(const std::string& message);

struct CreateArgs {
    std::string bus;
    std::string format = "native";
    std::uint64_t size = 0;  // 0: the format's default
    ::mode_t mode = 0660;
    std::uint32_t max_frame = 0;  // 0: the library's default (native only)
    bool exclusive = false;
};
int run_create(const CreateArgs& args);

struct InfoArgs {
    std::string bus;
    bool json = false;
};
int run_info(const InfoArgs& args);

struct StatArgs {
    std::string bus;
    double interval_s = 1.0;
    std::uint64_t count = 0;  // 0: until SIGINT/SIGTERM
    bool json = false;
};
int run_stat(const StatArgs& args);

// check: 0 clean, 1 findings (printed on stdout) or the file cannot be read.
struct CheckArgs {
    std::string bus;
    std::optional<shmif::Format> format;  // for a file whose magic says neither
    bool json = false;
};
int run_check(const CheckArgs& args);

// repair: 0 rebuilt, 1 refused or failed (one line on stderr).
struct RepairArgs {
    std::string bus;
    std::optional<shmif::Format> format;
    bool force = false;
    std::uint32_t max_frame = 0;
    bool json = false;
};
int run_repair(const RepairArgs& args);

}  // namespace shmifbus
