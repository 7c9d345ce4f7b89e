// libshmif: a virtual Ethernet segment that is a memory-mapped file.
//
// A Bus is one process's mapping of a bus file. Writers and Cursors borrow it (the Bus must
// outlive them). Two formats, told apart by the magic number: the native one (default for new
// buses) and NetBSD rump's SHMIF_VERSION 3, byte-compatible with NetBSD's if_shmem.c.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shmif/error.hpp"

namespace shmif {

enum class Format : std::uint8_t { native, netbsd };
const char* format_name(Format format);
std::optional<Format> parse_format(std::string_view name);

struct CreateOptions {
    Format format = Format::native;
    std::uint64_t size = 0;       // file size in bytes; 0 = default (native 2 MiB + header)
    ::mode_t mode = 0660;         // applied exactly, regardless of the umask
    bool exclusive = false;       // fail with already_exists instead of attaching
    std::uint32_t max_frame = 0;  // native only; 0 = 65,553 bytes capped at a quarter ring
};

// A ring region quarantined for writers that stalled holding the lock and were taken over
// (native format; see shmif/src/layout_native.hpp).
struct HoleInfo {
    std::uint64_t start;                     // position where it began
    std::uint64_t len;                       // bytes
    std::uint64_t since_ns;                  // CLOCK_REALTIME of the takeover
    std::vector<std::uint32_t> waiting_for;  // tids not yet done (alive, not told)
};

// A consistent-enough picture of a bus for tools (fields read without the lock).
struct BusInfo {
    Format format;
    std::uint32_t version;  // NetBSD: 3; native: major << 16 | minor
    std::uint64_t file_size;
    std::uint64_t data_size;
    std::uint32_t max_frame;
    std::uint64_t generation;   // NetBSD: gen; native: times the ring wrapped
    std::uint64_t first;        // NetBSD: ring offsets; native: 64-bit positions
    std::uint64_t last;         // NetBSD: newest frame; native: committed position
    std::uint64_t frames_held;  // frames a reader starting at the oldest would get now
    std::uint64_t bytes_held;
    bool locked;
    std::uint32_t lock_owner_tid;  // native only (0 unknown)
    bool lock_owner_dead;          // native only: owner gone, next locker recovers
    std::uint32_t lock_owner_pid;  // native only: the holder's process (0 unknown)
    char lock_owner_state;         // native only: /proc state letter (R, S, T, t, D...), 0 unknown
    std::uint64_t lock_held_ns;    // native only: how long the holder has had it
    // native only: totals kept in the header
    std::uint64_t frames_written;
    std::uint64_t bytes_written;
    std::uint64_t lock_recoveries;    // takeovers from dead or stalled holders
    std::uint64_t stalled_takeovers;  // of these, from holders that were alive
    std::uint64_t corrupt_repairs;
    std::uint32_t sleeping_readers;
    // Sends this process refused because the header no longer says what it said when the
    // bus was opened (overwritten or recreated): see Bus::header_problem().
    std::uint64_t header_faults;
    std::vector<HoleInfo> holes;  // native only
};

class Bus {
  public:
    // Creates a bus file atomically (initialised in a temporary file, then linked into place,
    // so nobody ever maps a half-made bus). If the path exists and !exclusive, attaches to it.
    static std::expected<Bus, Error> create(const std::string& path, const CreateOptions& opts);
    // Attaches to an existing bus of either format. A 1 MiB all-zero file is initialised as a
    // NetBSD bus, as NetBSD's driver does.
    static std::expected<Bus, Error> open(const std::string& path);

    Bus(Bus&&) noexcept;
    Bus& operator=(Bus&&) noexcept;
    ~Bus();

    Format format() const;
    const std::string& path() const;
    std::uint64_t file_size() const;
    std::uint64_t data_size() const;
    std::uint32_t max_frame() const;
    BusInfo info() const;
    // nullopt while the header still says what it said at open; otherwise what is wrong, as
    // one sentence ("magic 0x1234abcd, expected 0x424d4853"). While it is wrong every send
    // fails with corrupt_header (and counts in BusInfo::header_faults); readers see no new
    // frames. `shmifbus repair` (shmif/check.hpp) rebuilds it; then sending resumes.
    std::optional<std::string> header_problem() const;

    struct Impl;
    Impl& impl() const { return *impl_; }

  private:
    explicit Bus(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// A random, non-zero 64-bit sender id, as NetBSD gives each interface.
std::uint64_t random_sender_id();

}  // namespace shmif
