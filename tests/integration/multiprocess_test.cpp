// Several processes on one bus file, each a writer and a reader at once. With no overrun (the
// native ring is far larger than the traffic; the NetBSD traffic totals less than one ring),
// every reader must get every frame of every writer exactly once, each writer's frames in
// its order, and all readers the same global order: the bus is one sequence.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "layout_netbsd.hpp"
#include "payload.hpp"
#include "process.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "temp_dir.hpp"

namespace shmif::test {
namespace {

using namespace std::chrono_literals;

struct MeshCase {
    Format format;
    std::uint64_t file_size;
    std::uint32_t procs;
    std::uint64_t frames;  // per writer
    std::size_t min_len;
    std::size_t max_len;
};

void PrintTo(const MeshCase& c, std::ostream* os) {
    *os << format_name(c.format) << " x" << c.procs;
}

class Mesh : public ::testing::TestWithParam<MeshCase> {
  protected:
    void SetUp() override { ::alarm(90); }
    void TearDown() override { ::alarm(0); }
};

// Bytes the NetBSD ring takes for the whole run: the initial empty frame, then each frame's
// 24-byte header and payload.
std::uint64_t netbsd_volume(const MeshCase& c) {
    std::uint64_t total = sizeof(netbsd::FrameHeader);
    for (std::uint32_t w = 0; w < c.procs; ++w)
        for (std::uint64_t s = 0; s < c.frames; ++s)
            total += sizeof(netbsd::FrameHeader) + payload_len(w, s, c.min_len, c.max_len);
    return total;
}

// Reads everything `cursor` can get now into (writer, seq) records; counts bad payloads.
std::vector<WriterSeq> drain(Cursor& cursor, std::size_t cap, std::uint64_t& bad) {
    std::vector<std::vector<std::byte>> storage(64, std::vector<std::byte>(cap));
    std::vector<Frame> frames(64);
    for (std::size_t i = 0; i < frames.size(); ++i)
        frames[i] = Frame{storage[i].data(), cap};
    std::vector<WriterSeq> out;
    for (int round = 0; round < 1'000'000; ++round) {
        const std::size_t n = cursor.receive(frames);
        if (n == 0) break;
        for (std::size_t i = 0; i < n; ++i) {
            const Decoded d = check_payload({frames[i].data, frames[i].len});
            if (!d.ok) {
                ++bad;
                continue;
            }
            out.push_back({d.writer, 0, d.seq});
        }
    }
    return out;
}

// Every writer's frames exactly once and in order: the n-th frame of writer w carries seq n.
void expect_complete_and_ordered(const std::vector<WriterSeq>& recs, const MeshCase& c,
                                 const std::string& who) {
    std::vector<std::uint64_t> next(c.procs, 0);
    std::uint64_t misordered = 0;
    for (const WriterSeq& r : recs) {
        if (r.writer >= c.procs || r.seq != next[r.writer]) {
            ++misordered;
            continue;
        }
        ++next[r.writer];
    }
    EXPECT_EQ(misordered, 0U) << who;
    for (std::uint32_t w = 0; w < c.procs; ++w)
        EXPECT_EQ(next[w], c.frames) << who << ": frames of writer " << w;
}

TEST_P(Mesh, EveryReaderGetsEveryFrameOnceInOneGlobalOrder) {
    const MeshCase c = GetParam();
    if (c.format == Format::netbsd) {
        // No overrun by construction: the whole run fits in the ring.
        ASSERT_LT(netbsd_volume(c), netbsd::kDataSize);
    }
    TempDir dir;
    const std::string path = dir.file("bus");
    auto bus = Bus::create(path, CreateOptions{.format = c.format, .size = c.file_size});
    ASSERT_TRUE(bus) << describe(bus.error());
    if (c.format == Format::native) {
        const std::uint64_t worst = c.procs * c.frames * (32 + c.max_len + 8);
        ASSERT_LT(worst, bus->data_size());  // no overrun by construction
    }
    // The test process is one more reader, started before anyone sends.
    Cursor parent_cursor(*bus);

    const auto t0 = std::chrono::steady_clock::now();
    Pipe ready;
    Pipe go;
    std::vector<Child> children;
    for (std::uint32_t id = 0; id < c.procs; ++id) {
        children.push_back(
            Child::spawn_peer({"mesh", path, std::to_string(id), std::to_string(c.procs),
                               std::to_string(c.frames), std::to_string(c.min_len),
                               std::to_string(c.max_len), dir.file("report" + std::to_string(id))},
                              {{ready.write_end, 3}, {go.read_end, 4}}));
    }
    ready.close_write();
    go.close_read();
    for (std::uint32_t i = 0; i < c.procs; ++i) {
        char byte = 0;
        ASSERT_TRUE(read_exact(ready.read_end, &byte, 1, 10s))
            << "peer " << i << " never got ready";
    }
    go.close_write();  // EOF on every peer's fd 4: all start at once

    for (std::uint32_t id = 0; id < c.procs; ++id) {
        ASSERT_TRUE(children[id].wait_for(40s)) << "peer " << id << " hung";
        EXPECT_TRUE(children[id].exited_ok())
            << "peer " << id << " status " << children[id].status();
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::vector<ReportFile> reports;
    for (std::uint32_t id = 0; id < c.procs; ++id) {
        auto rep = read_report(dir.file("report" + std::to_string(id)));
        ASSERT_TRUE(rep) << "peer " << id << " wrote no report";
        reports.push_back(std::move(*rep));
    }
    const std::uint64_t total = c.procs * c.frames;
    for (std::uint32_t id = 0; id < c.procs; ++id) {
        const PeerReport& r = reports[id].report;
        const std::string who = "peer " + std::to_string(id);
        EXPECT_EQ(r.complete, 1U) << who;
        EXPECT_EQ(r.sent, c.frames) << who;
        EXPECT_EQ(r.frames, total) << who;
        EXPECT_EQ(r.bad, 0U) << who;
        EXPECT_EQ(r.overruns, 0U) << who;
        EXPECT_EQ(r.lost_frames, 0U) << who;
        EXPECT_EQ(r.lost_bytes, 0U) << who;
        EXPECT_EQ(r.corrupt, 0U) << who;
        EXPECT_EQ(r.truncated, 0U) << who;
        ASSERT_EQ(reports[id].records.size(), total) << who;
        expect_complete_and_ordered(reports[id].records, c, who);
    }

    std::uint64_t bad = 0;
    const std::vector<WriterSeq> mine = drain(parent_cursor, bus->max_frame(), bad);
    EXPECT_EQ(bad, 0U);
    EXPECT_EQ(parent_cursor.stats().overruns, 0U);
    ASSERT_EQ(mine.size(), total);
    expect_complete_and_ordered(mine, c, "test process");

    // One global order: every reader saw the identical sequence of (writer, seq).
    auto same = [](const std::vector<WriterSeq>& a, const std::vector<WriterSeq>& b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (a[i].writer != b[i].writer || a[i].seq != b[i].seq) return false;
        return true;
    };
    for (std::uint32_t id = 0; id < c.procs; ++id)
        EXPECT_TRUE(same(reports[id].records, mine)) << "peer " << id << " saw another order";

    // The writers really interleaved (else the order check proves little).
    std::uint64_t switches = 0;
    for (std::size_t i = 1; i < mine.size(); ++i)
        switches += mine[i].writer != mine[i - 1].writer;
    EXPECT_GT(switches, c.procs);

    const BusInfo info = bus->info();
    if (c.format == Format::native) {
        EXPECT_EQ(info.frames_written, total);
        EXPECT_EQ(info.lock_recoveries, 0U);
    }
    EXPECT_EQ(info.frames_held, total);
    std::printf("[ mesh %s ] %u processes x %llu frames in %.2f s, %llu writer switches\n",
                format_name(c.format), c.procs, static_cast<unsigned long long>(c.frames), secs,
                static_cast<unsigned long long>(switches));
}

INSTANTIATE_TEST_SUITE_P(
    Formats, Mesh,
    ::testing::Values(
        // 4 x 10,000 frames of up to ~1.5 KiB: about 33 MB into a 64 MiB ring.
        MeshCase{Format::native, 4096 + (64ULL << 20), 4, 10'000, kMinPayload, 1514},
        // 4 x 1,200 frames of 24..264 bytes plus 24-byte headers: about 810 KB of 1 MiB.
        MeshCase{Format::netbsd, 0, 4, 1'200, kMinPayload, 264}),
    [](const auto& p) { return std::string(format_name(p.param.format)); });

}  // namespace
}  // namespace shmif::test
