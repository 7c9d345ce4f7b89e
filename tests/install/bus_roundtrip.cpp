// A C++ program of a libshmif user, built against the installed package (install_test.sh)
// with the C++ API, which only the static library carries: creates a native bus in a fresh
// temporary directory, sends frames one at a time and as a batch, receives them with a
// cursor, checks every byte, length and sender, prints "ok". Exits 1 on any mismatch.
#include <stdlib.h>
#include <unistd.h>
#include <shmif/bus.hpp>
#include <shmif/cursor.hpp>
#include <shmif/writer.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

constexpr std::uint64_t kSender = 0x5348;
constexpr std::array<std::size_t, 5> kLens{14, 60, 1400, 1514, 9000};

std::vector<std::byte> pattern(std::size_t index, std::size_t len) {
    std::vector<std::byte> bytes(len);
    for (std::size_t j = 0; j < len; ++j)
        bytes[j] = static_cast<std::byte>(index * 53 + j * 7 + 1);
    return bytes;
}

int fail(const std::string& what) {
    std::fprintf(stderr, "bus_roundtrip++: %s\n", what.c_str());
    return 1;
}

int run(const std::string& path) {
    auto bus = shmif::Bus::create(path, shmif::CreateOptions{.format = shmif::Format::native});
    if (!bus) return fail("create: " + shmif::describe(bus.error()));
    shmif::Cursor cursor(*bus, {.skip_sender = kSender + 1});
    shmif::Writer writer(*bus, {.sender = kSender});

    std::vector<std::vector<std::byte>> sent;
    for (std::size_t i = 0; i < kLens.size(); ++i)
        sent.push_back(pattern(i, kLens[i]));
    if (auto r = writer.send(sent[0]); !r) return fail("send: " + shmif::describe(r.error()));
    std::vector<shmif::FrameBytes> rest(sent.begin() + 1, sent.end());
    auto batch = writer.send_batch(rest);
    if (!batch || *batch != rest.size()) return fail("send_batch sent fewer frames");

    std::vector<std::byte> storage(16384);
    for (std::size_t n = 0; n < sent.size(); ++n) {
        std::array<shmif::Frame, 1> frame{shmif::Frame{storage.data(), storage.size()}};
        auto got = cursor.receive_wait(frame, std::chrono::seconds(5));
        if (!got) return fail("receive_wait: " + shmif::describe(got.error()));
        if (*got != 1) return fail("frame " + std::to_string(n) + " never came");
        const shmif::Frame& f = frame[0];
        if (f.len != sent[n].size() || f.sender != kSender ||
            !std::equal(sent[n].begin(), sent[n].end(), f.data))
            return fail("frame " + std::to_string(n) + ": bytes, length or sender differ");
    }
    if (cursor.poll()) return fail("an extra frame");
    return 0;
}

}  // namespace

int main() {
    const char* tmp = std::getenv("TMPDIR");
    std::string dir =
        std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/shmif-roundtrip-XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr) {
        std::perror("bus_roundtrip++: mkdtemp");
        return 1;
    }
    const int rc = run(dir + "/test.bus");
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    if (rc == 0) std::puts("ok");
    return rc;
}
