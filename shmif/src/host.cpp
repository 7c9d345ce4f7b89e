#include "host.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace shmif::host {

Error os_error(Errc fallback, int err) {
    switch (err) {
        case ENOENT:
        case ENOTDIR:
            return {Errc::not_found, err};
        case EACCES:
        case EPERM:
        case EROFS:
            return {Errc::permission_denied, err};
        case EEXIST:
            return {Errc::already_exists, err};
        default:
            return {fallback, err};
    }
}

std::expected<Mapping, Error> map_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return std::unexpected(os_error(Errc::io_error, errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        return std::unexpected(os_error(Errc::io_error, err));
    }
    if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
        ::close(fd);
        return std::unexpected(Error{Errc::not_a_bus, 0});
    }
    auto size = static_cast<std::uint64_t>(st.st_size);
    void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        int err = errno;
        ::close(fd);
        return std::unexpected(os_error(Errc::io_error, err));
    }
    return Mapping{fd, base, size};
}

void unmap(Mapping& m) {
    if (m.base != nullptr) ::munmap(m.base, m.size);
    if (m.fd >= 0) ::close(m.fd);
    m = {};
}

std::expected<void, Error> create_file_atomically(const std::string& path, std::uint64_t size,
                                                  ::mode_t mode, void (*init)(void*, void*),
                                                  void* init_arg) {
    std::string tmp = path + ".tmpXXXXXX";
    int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
    if (fd < 0) return std::unexpected(os_error(Errc::io_error, errno));
    auto fail = [&](int err) {
        ::close(fd);
        ::unlink(tmp.c_str());
        return std::unexpected(os_error(Errc::io_error, err));
    };
    if (::fchmod(fd, mode) != 0) return fail(errno);
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return fail(errno);
    // Allocate the blocks now so that a full tmpfs fails here, not with SIGBUS later.
    if (int err = ::posix_fallocate(fd, 0, static_cast<off_t>(size)); err != 0 && err != EOPNOTSUPP)
        return fail(err);
    void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) return fail(errno);
    init(base, init_arg);
    ::munmap(base, size);
    // link() refuses to replace: whoever links first wins, and no one sees a half-made bus.
    if (::link(tmp.c_str(), path.c_str()) != 0) return fail(errno);
    ::unlink(tmp.c_str());
    ::close(fd);
    return {};
}

std::uint64_t now_realtime_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
           static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t now_monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
           static_cast<std::uint64_t>(ts.tv_nsec);
}

namespace {
// The calling thread's tid, cached: it names lock holders on every send. A forked child is a
// new thread with the forking thread's cache, so the fork handler forgets it there.
thread_local std::uint32_t cached_tid = 0;
void forget_tid_after_fork() {
    cached_tid = 0;
}
}  // namespace

std::uint32_t current_tid() {
    if (cached_tid == 0) {
        static const int registered = ::pthread_atfork(nullptr, nullptr, forget_tid_after_fork);
        (void)registered;
        cached_tid = static_cast<std::uint32_t>(::gettid());
    }
    return cached_tid;
}

std::uint64_t random_u64() {
    std::uint64_t v = 0;
    while (v == 0) {
        if (::getrandom(&v, sizeof v, 0) != sizeof v)
            v = now_monotonic_ns() * 0x9e3779b97f4a7c15ULL;
    }
    return v;
}

namespace {

// A relative timeout for futex/ppoll: nullptr (wait forever) when negative.
timespec* relative_timeout(std::int64_t timeout_ns, timespec& ts) {
    if (timeout_ns < 0) return nullptr;
    ts.tv_sec = timeout_ns / 1'000'000'000;
    ts.tv_nsec = timeout_ns % 1'000'000'000;
    return &ts;
}

}  // namespace

bool tid_alive(std::uint32_t tid) {
    return tid != 0 && (::kill(static_cast<pid_t>(tid), 0) == 0 || errno != ESRCH);
}

bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, std::int64_t timeout_ns) {
    timespec ts{};
    timespec* tsp = relative_timeout(timeout_ns, ts);
    long rc = ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT, expected,
                        tsp, nullptr, 0);
    return !(rc != 0 && errno == ETIMEDOUT);
}

void futex_wake_all(std::atomic<std::uint32_t>& word) {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE, INT_MAX, nullptr,
              nullptr, 0);
}

WaitEnd futex_wait_pair(const FutexPair& pair, std::int64_t timeout_ns,
                        std::int64_t fallback_slice_ns) {
    futex_waitv waiters[2] = {
        {pair.shared_expected, reinterpret_cast<std::uintptr_t>(pair.shared), FUTEX_32, 0},
        {pair.own_expected, reinterpret_cast<std::uintptr_t>(pair.own),
         FUTEX_32 | FUTEX_PRIVATE_FLAG, 0},
    };
    timespec abs{};
    timespec* deadline = nullptr;
    if (timeout_ns >= 0) {
        // futex_waitv takes an absolute CLOCK_MONOTONIC time.
        const std::uint64_t at = now_monotonic_ns() + static_cast<std::uint64_t>(timeout_ns);
        abs.tv_sec = static_cast<time_t>(at / 1'000'000'000);
        abs.tv_nsec = static_cast<long>(at % 1'000'000'000);
        deadline = &abs;
    }
    long rc = ::syscall(SYS_futex_waitv, waiters, 2, 0, deadline, CLOCK_MONOTONIC);
    if (rc < 0 && errno == ENOSYS) {
        // Before Linux 5.16: the bus's word alone, in slices, so the caller sees its own
        // wake word at least every slice.
        const std::int64_t slice =
            timeout_ns < 0 ? fallback_slice_ns : std::min(timeout_ns, fallback_slice_ns);
        timespec rel{};
        rc = ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(pair.shared), FUTEX_WAIT,
                       pair.shared_expected, relative_timeout(slice, rel), nullptr, 0);
    }
    if (rc >= 0) return WaitEnd::event;
    if (errno == EINTR) return WaitEnd::interrupted;
    if (errno == ETIMEDOUT) return WaitEnd::timed_out;
    return WaitEnd::event;  // EAGAIN: a word moved before we slept
}

void futex_wake_private(std::atomic<std::uint32_t>& word) {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX,
              nullptr, nullptr, 0);
}

int make_event_fd() {
    return ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

void signal_event_fd(int fd) {
    const std::uint64_t one = 1;
    // A full counter (2^64 - 2 pending wakes) still leaves the fd readable: nothing to do.
    [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
}

WaitEnd wait_readable_or_woken(int fd, int wake_fd, std::int64_t timeout_ns) {
    pollfd p[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    timespec ts{};
    const int rc = ::ppoll(p, wake_fd >= 0 ? 2 : 1, relative_timeout(timeout_ns, ts), nullptr);
    if (rc > 0) return WaitEnd::event;
    if (rc == 0) return WaitEnd::timed_out;
    return errno == EINTR ? WaitEnd::interrupted : WaitEnd::event;
}

void pwrite_wake(int fd, std::uint64_t offset, std::uint32_t value) {
    // Best effort by design: a failed wake-up only delays readers until their next timeout.
    [[maybe_unused]] auto n = ::pwrite(fd, &value, sizeof value, static_cast<off_t>(offset));
}

int watch_file(const std::string& path) {
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return -1;
    if (::inotify_add_watch(fd, path.c_str(), IN_MODIFY) < 0) {
        int err = errno;
        ::close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

void drain_fd(int fd) {
    alignas(inotify_event) char buf[4096];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
}

void yield_cpu() {
    ::sched_yield();
}

void close_fd(int fd) {
    if (fd >= 0) ::close(fd);
}

}  // namespace shmif::host
