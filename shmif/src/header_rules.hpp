// What a bus header must say, in one place: Bus::open refuses a header that breaks a rule,
// writers refuse to send on one that changed since open, and `shmifbus check` reports every
// broken rule. Each fault is one sentence naming the field, what it holds and what it should.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bus_impl.hpp"
#include "layout_native.hpp"
#include "layout_netbsd.hpp"
#include "shmif/error.hpp"

namespace shmif::header {

struct Fault {
    Errc code;         // not_a_bus, unsupported_version or corrupt_header
    std::string what;  // "magic 0x1234abcd, expected 0x424d4853"
};

// Every rule a native identity breaks for a file of `file_size` bytes, and the first of them.
std::vector<Fault> native_identity_faults(const native::Identity& id, std::uint64_t file_size);
std::optional<Fault> native_identity_fault(const native::Identity& id, std::uint64_t file_size);
// The first rule a NetBSD header breaks (magic 0, uninitialised, is not a fault).
std::optional<Fault> netbsd_identity_fault(const netbsd::BusHeader& h, std::uint64_t file_size);

// Writes a native header for an empty ring over a zeroed page: identity (magic last, so
// that nobody trusts a half-written one), a free lock, positions at 0, and the first gate at
// the ring's start (the ring must follow the header in the same mapping).
void native_initialise(native::BusHeader& h, std::uint64_t ring, std::uint32_t max_frame);

// Cheap, for every send: the attached bus's header still says what it said at open (native:
// identity and lock type; NetBSD: magic and version).
bool attached_intact(const Bus::Impl& bus);
// Why attached_intact() is false, as one sentence; nullopt when it is true.
std::optional<std::string> attached_fault(const Bus::Impl& bus);

// printf into a std::string (one line, at most 255 characters).
std::string say(const char* format, ...) __attribute__((format(printf, 1, 2)));

// Plausible max_frame for a native ring of `ring` bytes (60 bytes to a quarter ring), and
// what a new bus gets: 65,553 bytes capped at a quarter ring.
bool native_max_frame_fits(std::uint32_t max_frame, std::uint64_t ring);
std::uint32_t native_default_max_frame(std::uint64_t ring);

}  // namespace shmif::header
