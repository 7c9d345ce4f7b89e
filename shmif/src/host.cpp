#include "host.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

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

bool wait_readable(int fd, std::int64_t timeout_ns) {
    pollfd p{fd, POLLIN, 0};
    timespec ts{};
    timespec* tsp = relative_timeout(timeout_ns, ts);
    return ::ppoll(&p, 1, tsp, nullptr) > 0;
}

void yield_cpu() {
    ::sched_yield();
}

void close_fd(int fd) {
    if (fd >= 0) ::close(fd);
}

}  // namespace shmif::host
