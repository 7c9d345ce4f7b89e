// The one seam between libshmif and the kernel: every system call the library makes goes
// through here, so the rest reads as ring logic.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <expected>
#include <string>

#include "shmif/error.hpp"

namespace shmif::host {

// A file mapped read-write and shared.
struct Mapping {
    int fd = -1;
    void* base = nullptr;
    std::uint64_t size = 0;
};

Error os_error(Errc fallback, int err);  // maps ENOENT, EACCES, ... to our codes

std::expected<Mapping, Error> map_file(const std::string& path);
// Writes `size` bytes of zeroes to a new unique temporary file beside `path`, lets `init`
// fill the mapping, then links it to `path`. already_exists when the path is taken.
std::expected<void, Error> create_file_atomically(const std::string& path, std::uint64_t size,
                                                  ::mode_t mode, void (*init)(void*, void*),
                                                  void* init_arg);
void unmap(Mapping& m);

std::uint64_t now_realtime_ns();
std::uint64_t now_monotonic_ns();
std::uint32_t current_tid();
std::uint64_t random_u64();
bool tid_alive(std::uint32_t tid);

// futex on a word in a MAP_SHARED file: never FUTEX_PRIVATE.
// Returns false on timeout (timeout_ns < 0 = forever).
bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, std::int64_t timeout_ns);
void futex_wake_all(std::atomic<std::uint32_t>& word);

// A sleep that something other than its event can end. A cursor sleeps on the bus's word
// (shared) and on its own wake word (process-private) at once: futex_waitv(2), or, on
// kernels before 5.16, on the bus's word alone for at most `fallback_slice_ns` at a time.
// `interrupted`: a signal handler ran (one installed with SA_RESTART restarts the wait).
enum class WaitEnd : std::uint8_t { event, timed_out, interrupted };
struct FutexPair {
    std::atomic<std::uint32_t>* shared;
    std::uint32_t shared_expected;
    std::atomic<std::uint32_t>* own;
    std::uint32_t own_expected;
};
WaitEnd futex_wait_pair(const FutexPair& pair, std::int64_t timeout_ns,
                        std::int64_t fallback_slice_ns);
void futex_wake_private(std::atomic<std::uint32_t>& word);

// An eventfd for waking a poll from another thread (or a signal handler).
int make_event_fd();
void signal_event_fd(int fd);
// Waits for `fd` or `wake_fd` (-1: none) to turn readable.
WaitEnd wait_readable_or_woken(int fd, int wake_fd, std::int64_t timeout_ns);

// Wakes inotify watchers of the file the way NetBSD's driver does: rewrite a word in place.
void pwrite_wake(int fd, std::uint64_t offset, std::uint32_t value);
// inotify watching the bus file for modification; -1 with errno on failure.
int watch_file(const std::string& path);
void drain_fd(int fd);
void close_fd(int fd);

inline void cpu_relax() {
    __builtin_ia32_pause();
}
void yield_cpu();

}  // namespace shmif::host
