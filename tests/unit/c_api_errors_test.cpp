// Every error shmif.h documents, produced through the C API alone (with the file system set up
// for it, or a second process where it takes one): the code, no half-made handle left behind,
// and a bus that still works afterwards. What c_api_test.cpp, c_api_zero_copy_test.cpp and
// c_api_wake_test.cpp already check (EINTR, the zero-copy order rules, peek's EINVAL, ...) is
// not repeated here.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "bus_test_util.hpp"
#include "c_api_formats.hpp"
#include "layout_native.hpp"
#include "layout_netbsd.hpp"
#include "shmif/shmif.h"
#include "temp_dir.hpp"

// Sanitizer runtimes bring their own malloc and reserve terabytes of address space: they do
// not survive an address-space limit, so the out-of-memory test cannot run under them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SHMIF_TEST_OWN_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define SHMIF_TEST_OWN_MALLOC 1
#endif
#endif

namespace shmif::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kSmall = 4096 + 65536;  // the smallest native bus: a 64 KiB ring
constexpr std::uint64_t kWriter = 0x11;
constexpr std::uint64_t kChild = 0xc1;
constexpr std::uint64_t kOtherChild = 0xc2;

// A frame of len bytes, every one of them `tag`.
std::vector<unsigned char> frame_of(std::size_t len, unsigned char tag) {
    return std::vector<unsigned char>(len, tag);
}

// What a cursor received: who sent it, its length on the bus, and the byte every byte of it
// held (0 when they differed: no test frame is made of zeros).
struct Got {
    std::uint64_t sender;
    std::size_t len;
    unsigned char tag;
    friend bool operator==(const Got&, const Got&) = default;
    friend std::ostream& operator<<(std::ostream& os, const Got& g) {
        return os << "{sender " << g.sender << ", " << g.len << " bytes of " << unsigned{g.tag}
                  << "}";
    }
};

// Every frame waiting for c, without blocking.
std::vector<Got> drain(shmif_cursor* c) {
    constexpr int kN = 16;
    constexpr std::size_t kCap = 2048;
    std::vector<unsigned char> buf(kN * kCap);
    std::vector<Got> got;
    for (;;) {
        shmif_frame f[kN];
        for (int i = 0; i < kN; ++i)
            f[i] = {buf.data() + static_cast<std::size_t>(i) * kCap, kCap, 0, 0, 0, 0};
        const int n = shmif_recv(c, f, kN, 0);
        EXPECT_GE(n, 0) << shmif_strerror(n);
        for (int i = 0; i < n; ++i) {
            const auto* p = static_cast<const unsigned char*>(f[i].buf);
            unsigned char tag = f[i].len > 0 ? p[0] : 0;
            for (std::size_t k = 0; k < f[i].len; ++k)
                if (p[k] != tag) tag = 0;
            got.push_back({f[i].sender, f[i].orig_len, tag});
        }
        if (n < kN) return got;
    }
}

// A bus with a writer (id kWriter) and a cursor reading from now on, freed in order.
struct Bus {
    TempDir dir;
    std::string path = dir.file("e.bus");
    shmif_bus* bus = nullptr;
    shmif_writer* w = nullptr;
    shmif_cursor* c = nullptr;

    explicit Bus(shmif_format format, std::uint64_t size = 0) {
        shmif_create_opts opts{};
        opts.format = format;
        opts.size = size;
        EXPECT_EQ(shmif_bus_create(path.c_str(), &opts, &bus), SHMIF_OK);
        EXPECT_EQ(shmif_writer_new(bus, kWriter, &w), SHMIF_OK);
        EXPECT_EQ(shmif_cursor_new(bus, 0, SHMIF_START_NEXT, &c), SHMIF_OK);
    }
    ~Bus() {
        shmif_cursor_free(c);
        shmif_writer_free(w);
        shmif_bus_close(bus);
    }
    Bus(const Bus&) = delete;
    Bus& operator=(const Bus&) = delete;

    // Sends one frame of `tag` bytes and reads it back: the bus works.
    void works(unsigned char tag) const {
        const auto f = frame_of(60, tag);
        EXPECT_EQ(shmif_send(w, f.data(), f.size()), SHMIF_OK);
        EXPECT_EQ(drain(c), (std::vector<Got>{{kWriter, 60, tag}}));
    }
};

std::vector<std::string> names_in(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    return names;
}

// ---- Child processes ----

// In a child: exits with status `step` (saying why on stderr) unless got == want.
void child_expect(int step, long got, long want) {
    if (got == want) return;
    std::fprintf(stderr, "child step %d: got %ld, expected %ld\n", step, got, want);
    ::_exit(step);
}

// A forked child that runs `body` and exits with what it returns; alarm() bounds it. Killed
// and reaped when the test ends, whatever happened.
class Child {
  public:
    template <class Body>
    explicit Child(Body body) {
        pid_ = ::fork();
        if (pid_ == 0) {
            ::alarm(5);
            ::_exit(body());
        }
    }
    ~Child() {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    bool started() const { return pid_ > 0; }
    // Whether the child stopped itself (SIGSTOP) within the timeout.
    bool wait_stopped(std::chrono::milliseconds timeout) {
        return reap(WUNTRACED, timeout) && !reaped_ && WIFSTOPPED(status_);
    }
    void resume() const { ::kill(pid_, SIGCONT); }
    // Its exit status; 128 + n when signal n ended it; -1 when it did not end in time.
    int wait_exit(std::chrono::milliseconds timeout) {
        if (!reap(0, timeout) || !reaped_) return -1;
        return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
    }

  private:
    bool reap(int flags, std::chrono::milliseconds timeout) {
        if (reaped_) return true;
        const auto end = Clock::now() + timeout;
        for (;;) {
            const pid_t r = ::waitpid(pid_, &status_, flags | WNOHANG);
            if (r == pid_) {
                reaped_ = WIFEXITED(status_) || WIFSIGNALED(status_);
                return true;
            }
            if (r < 0 || Clock::now() >= end) return false;
            std::this_thread::sleep_for(200us);
        }
    }

    pid_t pid_ = -1;
    int status_ = 0;
    bool reaped_ = false;
};

// ---- Buses: create and open ----

TEST(CApiErrorsBus, CreateRefusesBadArgumentsAndMakesNoFile) {
    TempDir dir;
    const std::string path = dir.file("c.bus");
    const auto native = [](std::uint64_t size, std::uint32_t max_frame) {
        shmif_create_opts o{};
        o.format = SHMIF_FORMAT_NATIVE;
        o.size = size;
        o.max_frame = max_frame;
        return o;
    };
    shmif_create_opts netbsd_2mib{};
    netbsd_2mib.format = SHMIF_FORMAT_NETBSD;
    netbsd_2mib.size = 2 << 20;
    const shmif_create_opts too_small = native(kSmall - 8, 0);
    const shmif_create_opts unaligned = native(kSmall + 4, 0);
    const shmif_create_opts too_large = native(4096 + (4ULL << 30) + 8, 0);
    const shmif_create_opts frame_under_60 = native(kSmall, 59);
    const shmif_create_opts frame_over_quarter = native(kSmall, 16353);  // 16384 + 8 in the ring
    struct Case {
        const char* what;
        const char* path;
        const shmif_create_opts* opts;
        bool out;
    } const cases[] = {
        {"NULL path", nullptr, nullptr, true},
        {"NULL out", path.c_str(), nullptr, false},
        {"netbsd of 2 MiB", path.c_str(), &netbsd_2mib, true},
        {"ring under 64 KiB", path.c_str(), &too_small, true},
        {"size not a multiple of 8", path.c_str(), &unaligned, true},
        {"ring over 4 GiB", path.c_str(), &too_large, true},
        {"max frame 59", path.c_str(), &frame_under_60, true},
        {"max frame over a quarter ring", path.c_str(), &frame_over_quarter, true},
    };
    for (const Case& k : cases) {
        SCOPED_TRACE(k.what);
        shmif_bus* bus = nullptr;
        EXPECT_EQ(shmif_bus_create(k.path, k.opts, k.out ? &bus : nullptr), SHMIF_EINVAL);
        EXPECT_EQ(bus, nullptr);
        EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{});  // not even a temporary
    }
    // The bounds themselves are accepted.
    const shmif_create_opts largest_frame = native(kSmall, 16352);
    shmif_bus* bus = nullptr;
    ASSERT_EQ(shmif_bus_create(path.c_str(), &largest_frame, &bus), SHMIF_OK);
    EXPECT_EQ(shmif_bus_max_frame(bus), 16352U);
    shmif_bus_close(bus);
}

TEST(CApiErrorsBus, OpenRefusesANullOut) {
    Bus b(SHMIF_FORMAT_NATIVE, kSmall);
    EXPECT_EQ(shmif_bus_open(b.path.c_str(), nullptr), SHMIF_EINVAL);
    b.works(1);
}

TEST(CApiErrorsBus, APathThroughAFileIsNotFound) {
    Bus b(SHMIF_FORMAT_NATIVE, kSmall);
    shmif_bus* bus = nullptr;
    // ENOTDIR: a component of the path is the bus file itself.
    EXPECT_EQ(shmif_bus_open((b.path + "/x.bus").c_str(), &bus), SHMIF_ENOTFOUND);
    EXPECT_EQ(bus, nullptr);
}

TEST(CApiErrorsBus, ADirectoryIsAnIoError) {
    TempDir dir;
    const std::string sub = dir.file("sub");
    ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
    shmif_bus* bus = nullptr;
    EXPECT_EQ(shmif_bus_open(sub.c_str(), &bus), SHMIF_EIO);  // open(2): EISDIR
    EXPECT_EQ(bus, nullptr);
    // Without exclusive, create attaches to what is there: the same.
    shmif_create_opts opts{};
    opts.size = kSmall;
    EXPECT_EQ(shmif_bus_create(sub.c_str(), &opts, &bus), SHMIF_EIO);
    EXPECT_EQ(bus, nullptr);
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"sub"});  // no temporary left
}

TEST(CApiErrorsBus, CreateWithoutRoomIsAnIoError) {
    TempDir dir;
    const std::string path = dir.file("c.bus");
    Child child([&] {
        // Files may not grow past 4 KiB here: ftruncate(2) fails with EFBIG (and SIGXFSZ).
        ::signal(SIGXFSZ, SIG_IGN);
        rlimit lim{};
        ::getrlimit(RLIMIT_FSIZE, &lim);
        lim.rlim_cur = 4096;
        child_expect(1, ::setrlimit(RLIMIT_FSIZE, &lim), 0);
        shmif_bus* bus = nullptr;
        child_expect(2, shmif_bus_create(path.c_str(), nullptr, &bus), SHMIF_EIO);
        child_expect(3, bus == nullptr, 1);
        return 0;
    });
    ASSERT_TRUE(child.started());
    EXPECT_EQ(child.wait_exit(5s), 0);
    // Whole or not at all: no bus, no temporary.
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{});
    shmif_bus* bus = nullptr;
    EXPECT_EQ(shmif_bus_create(path.c_str(), nullptr, &bus), SHMIF_OK);
    shmif_bus_close(bus);
}

// Root may open anything: a child that is not root (nobody, when the tests run as root) finds
// a bus of mode 000 it may not open, and a directory it may not create in.
TEST(CApiErrorsBus, NoPermissionIsEperm) {
    constexpr int kCannotDrop = 77;
    constexpr int kNotEnforced = 78;
    TempDir dir;
    // Anyone may pass and create here: what the child runs into is the file's mode.
    ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);
    const std::string path = dir.file("p.bus");
    {
        shmif_create_opts opts{};
        opts.size = kSmall;
        shmif_bus* bus = nullptr;
        ASSERT_EQ(shmif_bus_create(path.c_str(), &opts, &bus), SHMIF_OK);
        shmif_bus_close(bus);
    }
    ASSERT_EQ(::chmod(path.c_str(), 0), 0);
    const std::string closed = dir.file("closed");  // the owner's alone to write in
    ASSERT_EQ(::mkdir(closed.c_str(), 0755), 0);
    const std::string unmakeable = closed + "/n.bus";
    Child child([&] {
        if (::geteuid() == 0 &&
            (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
             ::setresuid(65534, 65534, 65534) != 0))
            return kCannotDrop;
        if (::access(path.c_str(), R_OK) == 0 || ::access(closed.c_str(), W_OK) == 0)
            return kNotEnforced;
        shmif_bus* bus = nullptr;
        child_expect(1, shmif_bus_open(path.c_str(), &bus), SHMIF_EPERM);
        child_expect(2, bus == nullptr, 1);
        shmif_create_opts opts{};
        opts.size = kSmall;
        child_expect(3, shmif_bus_create(path.c_str(), &opts, &bus), SHMIF_EPERM);
        child_expect(4, bus == nullptr, 1);
        child_expect(5, shmif_bus_create(unmakeable.c_str(), &opts, &bus), SHMIF_EPERM);
        child_expect(6, bus == nullptr, 1);
        return 0;
    });
    ASSERT_TRUE(child.started());
    const int status = child.wait_exit(5s);
    if (status == kCannotDrop)
        GTEST_SKIP() << "running as root and cannot become nobody (setresuid 65534 failed): "
                        "root passes every permission check, so EPERM cannot be produced";
    if (status == kNotEnforced)
        GTEST_SKIP() << "permission checks do not apply to this user (CAP_DAC_OVERRIDE?)";
    EXPECT_EQ(status, 0);
    // Nothing was left behind, and the bus is whole for whoever may open it.
    EXPECT_EQ(names_in(closed), std::vector<std::string>{});
    auto names = names_in(dir.path());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"closed", "p.bus"}));
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    shmif_bus* bus = nullptr;
    ASSERT_EQ(shmif_bus_open(path.c_str(), &bus), SHMIF_OK);
    shmif_writer* w = nullptr;
    shmif_cursor* c = nullptr;
    ASSERT_EQ(shmif_writer_new(bus, kWriter, &w), SHMIF_OK);
    ASSERT_EQ(shmif_cursor_new(bus, 0, SHMIF_START_NEXT, &c), SHMIF_OK);
    const auto f = frame_of(60, 7);
    EXPECT_EQ(shmif_send(w, f.data(), f.size()), SHMIF_OK);
    EXPECT_EQ(drain(c), (std::vector<Got>{{kWriter, 60, 7}}));
    shmif_cursor_free(c);
    shmif_writer_free(w);
    shmif_bus_close(bus);
}

// ---- Buses: files that are not (or no longer) a bus this library may attach ----

void resize(const std::string& path, std::uint64_t size) {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0)
        throw std::runtime_error("truncate " + path);
}

template <class T>
void set_native(const std::string& path, std::size_t offset, T value) {
    write_value<T>(path, offsetof(native::BusHeader, id) + offset, value);
}

struct HeaderCase {
    const char* name;
    shmif_format format;
    void (*patch)(const std::string& path);
    int want;
};

const HeaderCase kHeaderCases[] = {
    // Wrong magic or size: not a bus.
    {"EmptyFile", SHMIF_FORMAT_NATIVE, [](const std::string& p) { resize(p, 0); }, SHMIF_ENOTBUS},
    {"NativeWrongMagic", SHMIF_FORMAT_NATIVE,
     [](const std::string& p) {
         set_native<std::uint32_t>(p, offsetof(native::Identity, magic), 0x12345678U);
     },
     SHMIF_ENOTBUS},
    {"NativeShorterThanItsHeader", SHMIF_FORMAT_NATIVE,
     [](const std::string& p) { resize(p, native::kHeaderSize / 2); }, SHMIF_ENOTBUS},
    {"NetbsdLongerThan1MiB", SHMIF_FORMAT_NETBSD,
     [](const std::string& p) { resize(p, netbsd::kBusSize + 4096); }, SHMIF_ENOTBUS},
    {"NetbsdShorterThan1MiB", SHMIF_FORMAT_NETBSD,
     [](const std::string& p) { resize(p, netbsd::kBusSize / 2); }, SHMIF_ENOTBUS},
    // The right magic, a version (or feature) this library does not speak.
    {"NativeMajorVersionUp", SHMIF_FORMAT_NATIVE,
     [](const std::string& p) {
         set_native<std::uint16_t>(p, offsetof(native::Identity, version_major),
                                   native::kVersionMajor + 1);
     },
     SHMIF_EVERSION},
    {"NativeMajorVersionDown", SHMIF_FORMAT_NATIVE,
     [](const std::string& p) {
         set_native<std::uint16_t>(p, offsetof(native::Identity, version_major),
                                   native::kVersionMajor - 1);
     },
     SHMIF_EVERSION},
    {"NativeUnknownFeature", SHMIF_FORMAT_NATIVE,
     [](const std::string& p) {
         set_native<std::uint32_t>(p, offsetof(native::Identity, features), 1);
     },
     SHMIF_EVERSION},
    {"NetbsdVersion4", SHMIF_FORMAT_NETBSD,
     [](const std::string& p) {
         write_value<std::uint32_t>(p, offsetof(netbsd::BusHeader, version), netbsd::kVersion + 1);
     },
     SHMIF_EVERSION},
    // A header that contradicts itself (or the file's size).
    {"NativeHeaderSizeField", SHMIF_FORMAT_NATIVE,
     [](const std::string& p) {
         set_native<std::uint32_t>(p, offsetof(native::Identity, header_size),
                                   2 * native::kHeaderSize);
     },
     SHMIF_ECORRUPT},
    {"NativeRingSizeField", SHMIF_FORMAT_NATIVE,
     [](const std::string& p) {
         set_native<std::uint64_t>(p, offsetof(native::Identity, ring_size), 2 * 65536);
     },
     SHMIF_ECORRUPT},
    {"NativeFileGrown", SHMIF_FORMAT_NATIVE, [](const std::string& p) { resize(p, kSmall + 8); },
     SHMIF_ECORRUPT},
    {"NativeMaxFrameOverAQuarterRing", SHMIF_FORMAT_NATIVE,
     [](const std::string& p) {
         set_native<std::uint32_t>(p, offsetof(native::Identity, max_frame), 16353);
     },
     SHMIF_ECORRUPT},
    {"NativeMaxFrameUnder60", SHMIF_FORMAT_NATIVE,
     [](const std::string& p) {
         set_native<std::uint32_t>(p, offsetof(native::Identity, max_frame), 59);
     },
     SHMIF_ECORRUPT},
};

class CApiErrorsHeader : public ::testing::TestWithParam<HeaderCase> {};

TEST_P(CApiErrorsHeader, OpenAndCreateRefuseIt) {
    const HeaderCase& k = GetParam();
    TempDir dir;
    const std::string path = dir.file("h.bus");
    shmif_create_opts opts{};
    opts.format = k.format;
    opts.size = k.format == SHMIF_FORMAT_NATIVE ? kSmall : 0;
    {
        shmif_bus* made = nullptr;
        ASSERT_EQ(shmif_bus_create(path.c_str(), &opts, &made), SHMIF_OK);
        shmif_bus_close(made);
    }
    k.patch(path);
    const auto size = std::filesystem::file_size(path);
    const auto before = size > 0 ? read_bytes(path, 0, size) : std::vector<std::byte>{};

    shmif_bus* bus = nullptr;
    int rc = shmif_bus_open(path.c_str(), &bus);
    EXPECT_EQ(rc, k.want) << shmif_strerror(rc);
    EXPECT_EQ(bus, nullptr);
    // Without exclusive, create attaches to the file that is there, and refuses it alike.
    rc = shmif_bus_create(path.c_str(), &opts, &bus);
    EXPECT_EQ(rc, k.want) << shmif_strerror(rc);
    EXPECT_EQ(bus, nullptr);
    // Neither touched the file, nor left a temporary beside it.
    ASSERT_EQ(std::filesystem::file_size(path), size);
    EXPECT_TRUE(size == 0 || read_bytes(path, 0, size) == before);
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"h.bus"});
}

std::string header_case_name(const ::testing::TestParamInfo<HeaderCase>& param) {
    return param.param.name;
}

INSTANTIATE_TEST_SUITE_P(, CApiErrorsHeader, ::testing::ValuesIn(kHeaderCases), header_case_name);

// ---- Writers ----

class CApiErrorsWriters : public ::testing::TestWithParam<shmif_format> {};

TEST_P(CApiErrorsWriters, WriterNewRefusesNulls) {
    Bus b(GetParam());
    EXPECT_EQ(shmif_writer_new(b.bus, 0, nullptr), SHMIF_EINVAL);
    shmif_writer* w = nullptr;
    EXPECT_EQ(shmif_writer_new(nullptr, 0, &w), SHMIF_EINVAL);
    EXPECT_EQ(w, nullptr);
    b.works(1);
}

TEST_P(CApiErrorsWriters, SendRefusesNullsAndBadLengthsAndSendsNothing) {
    Bus b(GetParam());
    const std::uint32_t max = shmif_bus_max_frame(b.bus);
    const auto f = frame_of(max + 1, 2);
    EXPECT_EQ(shmif_send(nullptr, f.data(), 60), SHMIF_EINVAL);
    EXPECT_EQ(shmif_send(b.w, nullptr, 60), SHMIF_EINVAL);
    EXPECT_EQ(shmif_send(b.w, nullptr, 0), SHMIF_EINVAL);
    EXPECT_EQ(shmif_send(b.w, f.data(), SHMIF_MIN_FRAME - 1), SHMIF_ETOOSHORT);
    EXPECT_EQ(shmif_send(b.w, f.data(), max + 1), SHMIF_ETOOBIG);
    EXPECT_EQ(drain(b.c), std::vector<Got>{});  // none of them reached the bus
    // The bounds themselves go.
    EXPECT_EQ(shmif_send(b.w, f.data(), SHMIF_MIN_FRAME), SHMIF_OK);
    EXPECT_EQ(shmif_send(b.w, f.data(), max), SHMIF_OK);
    EXPECT_EQ(drain(b.c), (std::vector<Got>{{kWriter, SHMIF_MIN_FRAME, 2}, {kWriter, max, 2}}));
}

TEST_P(CApiErrorsWriters, SendBatchStopsAtTheFirstFrameItCannotSend) {
    Bus b(GetParam());
    const auto a = frame_of(60, 0xa1);
    const auto z = frame_of(60, 0xa2);
    const auto big = frame_of(shmif_bus_max_frame(b.bus) + 1, 0xbb);
    const struct {
        const char* what;
        shmif_iov bad;
        int err;
    } cases[] = {
        {"NULL data", {nullptr, 60}, SHMIF_EINVAL},
        {"NULL data, no bytes", {nullptr, 0}, SHMIF_EINVAL},
        {"no bytes", {a.data(), 0}, SHMIF_ETOOSHORT},
        {"too short", {a.data(), SHMIF_MIN_FRAME - 1}, SHMIF_ETOOSHORT},
        {"too big", {big.data(), big.size()}, SHMIF_ETOOBIG},
    };
    for (const auto& k : cases) {
        SCOPED_TRACE(k.what);
        const shmif_iov frames[] = {{a.data(), a.size()}, k.bad, {z.data(), z.size()}};
        // In the middle: the frame before it goes, it and those after do not.
        int err = 12345;
        EXPECT_EQ(shmif_send_batch(b.w, frames, 3, &err), 1);
        EXPECT_EQ(err, k.err);
        EXPECT_EQ(drain(b.c), (std::vector<Got>{{kWriter, 60, 0xa1}}));
        // First: nothing goes.
        err = 12345;
        EXPECT_EQ(shmif_send_batch(b.w, frames + 1, 2, &err), 0);
        EXPECT_EQ(err, k.err);
        EXPECT_EQ(drain(b.c), std::vector<Got>{});
        // err may be NULL: the same count.
        EXPECT_EQ(shmif_send_batch(b.w, frames, 3, nullptr), 1);
        EXPECT_EQ(drain(b.c), (std::vector<Got>{{kWriter, 60, 0xa1}}));
        // The caller skips it and sends the rest.
        EXPECT_EQ(shmif_send_batch(b.w, frames + 2, 1, &err), 1);
        EXPECT_EQ(err, 0);
        EXPECT_EQ(drain(b.c), (std::vector<Got>{{kWriter, 60, 0xa2}}));
    }
}

TEST_P(CApiErrorsWriters, AWrongSendBatchCallSendsNothing) {
    Bus b(GetParam());
    const auto a = frame_of(60, 0xa1);
    const shmif_iov one[] = {{a.data(), a.size()}};
    int err = 0;
    EXPECT_EQ(shmif_send_batch(nullptr, one, 1, &err), SHMIF_EINVAL);
    EXPECT_EQ(shmif_send_batch(b.w, nullptr, 1, &err), SHMIF_EINVAL);
    EXPECT_EQ(shmif_send_batch(b.w, one, -1, &err), SHMIF_EINVAL);
    EXPECT_EQ(shmif_send_batch(b.w, one, INT_MIN, nullptr), SHMIF_EINVAL);
    EXPECT_EQ(drain(b.c), std::vector<Got>{});
    // NULL frames with nothing to send is no error.
    err = 12345;
    EXPECT_EQ(shmif_send_batch(b.w, nullptr, 0, &err), 0);
    EXPECT_EQ(err, 0);
    b.works(3);
}

TEST_P(CApiErrorsWriters, CommitRefusesANullWriter) {
    Bus b(GetParam());
    EXPECT_EQ(shmif_commit(nullptr), SHMIF_EINVAL);
    b.works(4);
}

INSTANTIATE_TEST_SUITE_P(, CApiErrorsWriters, kBothFormats, format_name);

// ---- Takeovers (native): EFENCED, and ELOCK when a stalled holder cannot be taken over ----

struct Stall {
    std::uint64_t sender;
    std::size_t len;     // of the frame it acquires before it stops
    unsigned char tag;   // that frame's bytes; tag + 1 those of the frame it sends after
    bool acquire_again;  // once resumed, another shmif_acquire() before the commit
    int commit;          // what that commit must return
};

// In a child: opens the bus, acquires a slot (taking the bus lock), fills it, stops itself
// holding the lock; once resumed, commits and then sends a frame of tag + 1.
int stalled_writer(const std::string& path, const Stall& s) {
    shmif_bus* bus = nullptr;
    child_expect(1, shmif_bus_open(path.c_str(), &bus), SHMIF_OK);
    shmif_writer* w = nullptr;
    child_expect(2, shmif_writer_new(bus, s.sender, &w), SHMIF_OK);
    void* slot = nullptr;
    child_expect(3, shmif_acquire(w, s.len, &slot), SHMIF_OK);
    std::memset(slot, s.tag, s.len);
    ::raise(SIGSTOP);
    if (s.acquire_again) {
        slot = &slot;
        child_expect(4, shmif_acquire(w, 60, &slot), s.commit);
        child_expect(5, slot == nullptr, 1);
    }
    child_expect(6, shmif_commit(w), s.commit);
    child_expect(7, shmif_commit(w), 0);  // the batch is closed
    const auto later = frame_of(60, static_cast<unsigned char>(s.tag + 1));
    child_expect(8, shmif_send(w, later.data(), later.size()), SHMIF_OK);
    shmif_writer_free(w);
    shmif_bus_close(bus);
    return 0;
}

void fenced_commit(bool acquire_again) {
    Bus b(SHMIF_FORMAT_NATIVE);
    const Stall stall{kChild, 60, 0xc0, acquire_again, SHMIF_EFENCED};
    Child child([&] { return stalled_writer(b.path, stall); });
    ASSERT_TRUE(child.started());
    ASSERT_TRUE(child.wait_stopped(2s)) << "child exit " << child.wait_exit(0ms);
    // The child holds the lock, stopped: this send takes it over after the stall bound.
    const auto mine = frame_of(60, 0xa1);
    const auto begin = Clock::now();
    EXPECT_EQ(shmif_send(b.w, mine.data(), mine.size()), SHMIF_OK);
    const auto took = Clock::now() - begin;
    EXPECT_GE(took, 10ms);
    EXPECT_LT(took, 1s);
    child.resume();
    EXPECT_EQ(child.wait_exit(5s), 0);
    // Never the stalled frame (0xc0); the child's next one (0xc1) is there.
    EXPECT_EQ(drain(b.c), (std::vector<Got>{{kWriter, 60, 0xa1}, {kChild, 60, 0xc1}}));
    EXPECT_EQ(shmif_cursor_lost(b.c), 0U);
    b.works(0xa2);
}

TEST(CApiErrorsFenced, TheCommitOfAStalledWriterIsFencedAndItsNextSendWorks) {
    fenced_commit(false);
}

TEST(CApiErrorsFenced, AnAcquireAfterTheTakeoverIsFencedAndTheCommitToo) {
    fenced_commit(true);
}

// ELOCK: a lock holder is taken over only if its claim can be quarantined, and quarantined
// claims of live stalled writers may cover at most a quarter of the ring. The first stalled
// writer here claims a largest frame, a quarter of a 64 KiB ring: once taken over, the next
// stalled holder cannot be, and writers give up after the lock timeout (1 s).
TEST(CApiErrorsLock, AStalledHolderThatCannotBeTakenOverIsElock) {
    Bus b(SHMIF_FORMAT_NATIVE, kSmall);
    const std::uint32_t max = shmif_bus_max_frame(b.bus);
    const Stall big{kChild, max, 0xc0, false, SHMIF_EFENCED};
    Child first([&] { return stalled_writer(b.path, big); });
    ASSERT_TRUE(first.started());
    ASSERT_TRUE(first.wait_stopped(2s)) << "child exit " << first.wait_exit(0ms);
    const auto a1 = frame_of(60, 0xa1);
    ASSERT_EQ(shmif_send(b.w, a1.data(), a1.size()), SHMIF_OK);  // took the first over

    const Stall small{kOtherChild, 60, 0xd0, false, 1};
    Child second([&] { return stalled_writer(b.path, small); });
    ASSERT_TRUE(second.started());
    ASSERT_TRUE(second.wait_stopped(2s)) << "child exit " << second.wait_exit(0ms);

    // Three writers wait for the second at once, one per call that takes the lock.
    shmif_writer* ws[3] = {};
    for (auto*& w : ws)
        ASSERT_EQ(shmif_writer_new(b.bus, kWriter, &w), SHMIF_OK);
    const auto a2 = frame_of(60, 0xa2);
    const shmif_iov iov[] = {{a2.data(), a2.size()}, {a2.data(), a2.size()}};
    int send_rc = 1, batch_rc = 1, batch_err = 1, acquire_rc = 1;
    void* slot = &slot;
    Clock::duration took[3] = {};
    const auto timed = [&took](int i, auto call) {
        return std::thread([&took, i, call] {
            const auto begin = Clock::now();
            call();
            took[i] = Clock::now() - begin;
        });
    };
    std::thread threads[] = {
        timed(0, [&] { send_rc = shmif_send(ws[0], a2.data(), a2.size()); }),
        timed(1, [&] { batch_rc = shmif_send_batch(ws[1], iov, 2, &batch_err); }),
        timed(2, [&] { acquire_rc = shmif_acquire(ws[2], 60, &slot); }),
    };
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(send_rc, SHMIF_ELOCK) << shmif_strerror(send_rc);
    EXPECT_EQ(batch_rc, 0);
    EXPECT_EQ(batch_err, SHMIF_ELOCK) << shmif_strerror(batch_err);
    EXPECT_EQ(acquire_rc, SHMIF_ELOCK) << shmif_strerror(acquire_rc);
    EXPECT_EQ(slot, nullptr);
    EXPECT_EQ(shmif_commit(ws[2]), 0);  // no batch was opened
    for (const auto& t : took) {
        EXPECT_GE(t, 900ms);
        EXPECT_LT(t, 3s);
    }

    // The second was never taken over: its commit goes through.
    second.resume();
    EXPECT_EQ(second.wait_exit(5s), 0);
    for (int i = 0; i < 3; ++i) {
        const auto f = frame_of(60, static_cast<unsigned char>(0xb0 + i));
        EXPECT_EQ(shmif_send(ws[i], f.data(), f.size()), SHMIF_OK);
        shmif_writer_free(ws[i]);
    }
    first.resume();
    EXPECT_EQ(first.wait_exit(5s), 0);
    EXPECT_EQ(drain(b.c), (std::vector<Got>{{kWriter, 60, 0xa1},
                                            {kOtherChild, 60, 0xd0},
                                            {kOtherChild, 60, 0xd1},
                                            {kWriter, 60, 0xb0},
                                            {kWriter, 60, 0xb1},
                                            {kWriter, 60, 0xb2},
                                            {kChild, 60, 0xc1}}));
    EXPECT_EQ(shmif_cursor_lost(b.c), 0U);
}

// ---- Out of memory: the handle constructors' EIO ----

TEST(CApiErrorsMemory, NoMemoryForAHandleIsAnIoError) {
#ifdef SHMIF_TEST_OWN_MALLOC
    GTEST_SKIP() << "a sanitizer's allocator does not survive an address-space limit";
#endif
    Bus b(SHMIF_FORMAT_NATIVE, kSmall);
    Child child([&] {
        // No address space to grow into, then every free heap chunk taken: the next malloc()
        // fails. Each block links to the one before, to give them back.
        rlimit old{};
        ::getrlimit(RLIMIT_AS, &old);
        const rlimit none{0, old.rlim_max};
        child_expect(1, ::setrlimit(RLIMIT_AS, &none), 0);
        void* chain = nullptr;
        const auto take_all = [&chain](std::size_t size) {
            for (;;) {
                void* p = std::malloc(size);
                if (p == nullptr) return;
                std::memcpy(p, &chain, sizeof chain);
                chain = p;
            }
        };
        for (std::size_t size = std::size_t{1} << 20; size > 4096; size /= 2)
            take_all(size);
        for (std::size_t size = 4096; size >= 16; size -= 8)
            take_all(size);
        shmif_writer* w = nullptr;
        const int writer_rc = shmif_writer_new(b.bus, kChild, &w);
        const bool writer_null = w == nullptr;
        shmif_cursor* c = nullptr;
        const int cursor_rc = shmif_cursor_new(b.bus, 0, SHMIF_START_NEXT, &c);
        const bool cursor_null = c == nullptr;
        while (chain != nullptr) {
            void* next = nullptr;
            std::memcpy(&next, chain, sizeof next);
            std::free(chain);
            chain = next;
        }
        child_expect(2, ::setrlimit(RLIMIT_AS, &old), 0);
        child_expect(3, writer_rc, SHMIF_EIO);
        child_expect(4, writer_null, 1);
        child_expect(5, cursor_rc, SHMIF_EIO);
        child_expect(6, cursor_null, 1);
        // With memory back, both come, and the bus carries a frame.
        child_expect(7, shmif_writer_new(b.bus, kChild, &w), SHMIF_OK);
        child_expect(8, shmif_cursor_new(b.bus, 0, SHMIF_START_NEXT, &c), SHMIF_OK);
        const auto f = frame_of(60, 0xc0);
        child_expect(9, shmif_send(w, f.data(), f.size()), SHMIF_OK);
        unsigned char buf[64];
        shmif_frame got = {buf, sizeof buf, 0, 0, 0, 0};
        child_expect(10, shmif_recv(c, &got, 1, 0), 1);
        shmif_cursor_free(c);
        shmif_writer_free(w);
        return 0;
    });
    ASSERT_TRUE(child.started());
    EXPECT_EQ(child.wait_exit(5s), 0);
    EXPECT_EQ(drain(b.c), (std::vector<Got>{{kChild, 60, 0xc0}}));
}

// ---- Cursors ----

class CApiErrorsCursors : public ::testing::TestWithParam<shmif_format> {};

TEST_P(CApiErrorsCursors, CursorNewRefusesNulls) {
    Bus b(GetParam());
    EXPECT_EQ(shmif_cursor_new(b.bus, 0, SHMIF_START_NEXT, nullptr), SHMIF_EINVAL);
    shmif_cursor* c = nullptr;
    EXPECT_EQ(shmif_cursor_new(nullptr, 0, SHMIF_START_OLDEST, &c), SHMIF_EINVAL);
    EXPECT_EQ(c, nullptr);
    b.works(5);
}

TEST_P(CApiErrorsCursors, RecvAndWaitRefuseBadArgumentsAtOnceAndConsumeNothing) {
    Bus b(GetParam());
    const auto a = frame_of(60, 0x31);
    ASSERT_EQ(shmif_send(b.w, a.data(), a.size()), SHMIF_OK);
    unsigned char buf[64];
    shmif_frame f[2] = {{buf, sizeof buf, 0, 0, 0, 0}, {nullptr, 64, 0, 0, 0, 0}};
    // Refused before anything is received, and before any wait (-1: forever).
    for (const std::int64_t timeout : {std::int64_t{0}, std::int64_t{-1}}) {
        SCOPED_TRACE(timeout);
        EXPECT_EQ(shmif_recv(nullptr, f, 1, timeout), SHMIF_EINVAL);
        EXPECT_EQ(shmif_recv(b.c, nullptr, 1, timeout), SHMIF_EINVAL);
        EXPECT_EQ(shmif_recv(b.c, f, -1, timeout), SHMIF_EINVAL);
        EXPECT_EQ(shmif_recv(b.c, f, INT_MIN, timeout), SHMIF_EINVAL);
        EXPECT_EQ(shmif_recv(b.c, f, 2, timeout), SHMIF_EINVAL);  // f[1]: NULL buf, cap 64
        EXPECT_EQ(shmif_wait(nullptr, timeout), SHMIF_EINVAL);
    }
    EXPECT_EQ(f[0].len, 0U);
    EXPECT_EQ(shmif_recv(b.c, nullptr, 0, 0), 0);  // nothing asked: no error
    // The frame is still there.
    EXPECT_EQ(drain(b.c), (std::vector<Got>{{kWriter, 60, 0x31}}));
}

// Disabled, for a bug in the cursors: shmif.h refuses only a NULL buf with cap > 0, so
// {NULL, 0} is a valid place to receive a frame's length alone, and a plain build does just
// that. But the cursor copies with memcpy(NULL, payload, 0), undefined behaviour that the
// ASan+UBSan build stops at ("null pointer passed as argument 1", cursor_native.cpp). Enable
// once the copy skips empty buffers (run it meanwhile with --gtest_also_run_disabled_tests).
TEST_P(CApiErrorsCursors, ANullBufOfNoBytesTakesTheLengthOnly) {
    Bus b(GetParam());
    const auto a = frame_of(60, 0x32);
    ASSERT_EQ(shmif_send(b.w, a.data(), a.size()), SHMIF_OK);
    shmif_frame f = {nullptr, 0, 0, 0, 0, 0};
    ASSERT_EQ(shmif_recv(b.c, &f, 1, 0), 1);
    EXPECT_EQ(f.len, 0U);
    EXPECT_EQ(f.orig_len, 60U);
    EXPECT_EQ(f.sender, kWriter);
    b.works(6);
}

TEST_P(CApiErrorsCursors, FdAndPrepareRefuseANullCursor) {
    Bus b(GetParam());
    EXPECT_EQ(shmif_cursor_fd(nullptr), SHMIF_EINVAL);
    EXPECT_EQ(shmif_cursor_prepare_wait(nullptr), SHMIF_EINVAL);
    b.works(7);
}

// No descriptor to make an inotify instance with: no fd, and no waiting on one; the cursor
// itself still receives, and gets its fd once descriptors are back.
TEST_P(CApiErrorsCursors, NoInotifyInstanceIsAnIoError) {
    Bus b(GetParam());
    const auto a = frame_of(60, 0x33);
    ASSERT_EQ(shmif_send(b.w, a.data(), a.size()), SHMIF_OK);
    Child child([&] {
        shmif_cursor* c = nullptr;
        child_expect(1, shmif_cursor_new(b.bus, 0, SHMIF_START_OLDEST, &c), SHMIF_OK);
        rlimit old{};
        ::getrlimit(RLIMIT_NOFILE, &old);
        const rlimit none{0, old.rlim_max};
        child_expect(2, ::setrlimit(RLIMIT_NOFILE, &none), 0);
        child_expect(3, shmif_cursor_fd(c), SHMIF_EIO);
        child_expect(4, shmif_cursor_prepare_wait(c), SHMIF_EIO);
        shmif_cursor_finish_wait(c);  // nothing to finish: harmless
        child_expect(5, shmif_cursor_fd(c), SHMIF_EIO);
        unsigned char buf[64];
        shmif_frame f = {buf, sizeof buf, 0, 0, 0, 0};
        child_expect(6, shmif_recv(c, &f, 1, 0), 1);
        child_expect(7, shmif_recv(c, &f, 1, 5'000'000), 0);  // a blocking one times out
        child_expect(8, ::setrlimit(RLIMIT_NOFILE, &old), 0);
        child_expect(9, shmif_cursor_fd(c) >= 0, 1);
        child_expect(10, shmif_cursor_prepare_wait(c), 1);
        shmif_cursor_finish_wait(c);
        shmif_cursor_free(c);
        return 0;
    });
    ASSERT_TRUE(child.started());
    EXPECT_EQ(child.wait_exit(5s), 0);
    EXPECT_EQ(drain(b.c), (std::vector<Got>{{kWriter, 60, 0x33}}));
    b.works(8);
}

// inotify watches a path: once the bus file is gone from it there is nothing to watch.
TEST_P(CApiErrorsCursors, ABusFileRemovedHasNoFd) {
    Bus b(GetParam());
    ASSERT_EQ(::unlink(b.path.c_str()), 0);
    shmif_cursor* c = nullptr;
    ASSERT_EQ(shmif_cursor_new(b.bus, 0, SHMIF_START_NEXT, &c), SHMIF_OK);
    EXPECT_EQ(shmif_cursor_fd(c), SHMIF_EIO);
    EXPECT_EQ(shmif_cursor_prepare_wait(c), SHMIF_EIO);
    shmif_cursor_finish_wait(c);
    const auto a = frame_of(60, 0x34);
    ASSERT_EQ(shmif_send(b.w, a.data(), a.size()), SHMIF_OK);
    EXPECT_EQ(drain(c), (std::vector<Got>{{kWriter, 60, 0x34}}));
    EXPECT_EQ(drain(b.c), (std::vector<Got>{{kWriter, 60, 0x34}}));
    shmif_cursor_free(c);
    b.works(9);
}

INSTANTIATE_TEST_SUITE_P(, CApiErrorsCursors, kBothFormats, format_name);

// ---- Enum values out of range, as a C caller may pass them (any int) ----

TEST(CApiErrorsEnum, CursorNewRefusesAStartOutOfRange) {
    Bus b(SHMIF_FORMAT_NATIVE, kSmall);
    // shmif_cursor_new() as a C caller calls it: the start is an int.
    using FromC = int (*)(shmif_bus*, std::uint64_t, int, shmif_cursor**);
    const auto cursor_new =
        reinterpret_cast<FromC>(reinterpret_cast<void (*)()>(&shmif_cursor_new));
    for (const int raw : {2, -1, 1000}) {
        SCOPED_TRACE(raw);
        shmif_cursor* c = nullptr;
        EXPECT_EQ(cursor_new(b.bus, 0, raw, &c), SHMIF_EINVAL);
        EXPECT_EQ(c, nullptr);
    }
    b.works(10);
}

// Disabled, for a bug in c_api.cpp: shmif_bus_create() refuses an unknown format with
// SHMIF_EINVAL, as documented, but it compares opts->format after loading it as a C++ enum,
// and loading a value outside an enum's range is undefined behaviour in C++: the ASan+UBSan
// build stops there ("load of value 2, which is not a valid value for type 'shmif_format'",
// c_api.cpp). (shmif_cursor_new()'s start, a by-value parameter, has the same flaw in
// principle; GCC's sanitizer does not check parameters.) Enable once c_api.cpp reads the
// format as an integer (run it meanwhile with --gtest_also_run_disabled_tests).
TEST(CApiErrorsEnum, CreateRefusesAFormatOutOfRange) {
    TempDir dir;
    const std::string path = dir.file("c.bus");
    for (const int raw : {2, -1, 1000}) {
        SCOPED_TRACE(raw);
        shmif_create_opts opts{};
        static_assert(sizeof opts.format == sizeof raw);
        std::memcpy(&opts.format, &raw, sizeof raw);  // stored as C stores it, never loaded here
        shmif_bus* bus = nullptr;
        EXPECT_EQ(shmif_bus_create(path.c_str(), &opts, &bus), SHMIF_EINVAL);
        EXPECT_EQ(bus, nullptr);
        EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{});
    }
}

// ---- NULL handles: ignored, or 0 (shmif_bus_close, shmif_writer_free, shmif_cursor_free,
// shmif_advance and shmif_view_valid: see c_api_test.cpp and c_api_zero_copy_test.cpp) ----

TEST(CApiErrorsNull, FunctionsWithoutAnErrorIgnoreNull) {
    shmif_cursor_wake(nullptr);
    shmif_drop_last(nullptr);
    shmif_cursor_set_spin(nullptr, 1000);
    shmif_cursor_finish_wait(nullptr);
    EXPECT_EQ(shmif_bus_max_frame(nullptr), 0U);
    EXPECT_EQ(shmif_writer_sender(nullptr), 0U);
    EXPECT_EQ(shmif_cursor_lost(nullptr), 0U);
}

}  // namespace
}  // namespace shmif::test
