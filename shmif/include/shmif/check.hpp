// Checking and repairing a bus file from outside: what `shmifbus check` and `shmifbus repair`
// run. Both work on the raw file, so they also handle a header Bus::open refuses.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "shmif/bus.hpp"
#include "shmif/error.hpp"

namespace shmif {

struct CheckReport {
    std::optional<Format> format;  // nullopt: neither magic, and the size fits both formats
    std::uint64_t file_size = 0;
    std::string lock;          // "free", "held by tid 42 (running)", ...
    std::uint64_t frames = 0;  // frames found walking the ring from the oldest
    // One sentence per problem ("magic 0x1234abcd, expected 0x424d4853"); empty when clean.
    std::vector<std::string> findings;
    bool clean() const { return findings.empty(); }
};

// Validates the header (every field, not just the first wrong one), the lock and the ring.
// `format` decides a file whose magic says neither format; without it the size and what is
// left of the header decide. Fails only when the file cannot be read (not_found, ...).
std::expected<CheckReport, Error> check_bus(const std::string& path,
                                            std::optional<Format> format = std::nullopt);

struct RepairOptions {
    std::optional<Format> format = std::nullopt;  // as for check_bus
    // Rewrite even while the lock names a running thread (a live writer, or garbage that
    // happens to name one). NetBSD: take the lock word without waiting for it.
    bool force = false;
    std::uint32_t max_frame = 0;  // native: 0 keeps a plausible old value, else the default
};

struct RepairReport {
    Format format;
    std::uint64_t file_size;
    std::uint64_t ring_size;
    std::uint32_t max_frame;
    std::vector<std::string> findings;  // what check_bus found before the repair
};

struct RepairFailure {
    Error error;
    std::string why;  // one sentence
};

// Rebuilds the header from the file's size and format and empties the ring: native keeps
// the file size (ring = size - 4 KiB), NetBSD needs the 1 MiB file it always is. Refuses
// (without force) while the native lock is held by a running thread; a dead holder is no
// obstacle. NetBSD records no holder: the lock word is taken as writers take it (a word held
// for a second is broken). Processes attached to the bus resume by themselves: their cursors
// resynchronise to the empty ring and their writers find a valid header again.
std::expected<RepairReport, RepairFailure> repair_bus(const std::string& path,
                                                      const RepairOptions& options);

}  // namespace shmif
