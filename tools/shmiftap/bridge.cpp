#include "bridge.hpp"

#include <fmt/format.h>

#include <cstring>
#include <thread>
#include <vector>

#include "shmif/writer.hpp"

namespace shmiftap {
namespace {

// A TAP frame is at most 65,535 (ETH_MAX_MTU) + 14 (Ethernet) + 4 (802.1Q) bytes; one byte
// more lets a read that fills the buffer be told apart from a frame that fits.
constexpr std::size_t kTapReadBuffer = 65535 + 14 + 4 + 1;

// Caller-owned storage for a batch of shmif::Frame, `capacity` bytes each.
struct FrameBuffers {
    FrameBuffers(std::size_t count, std::size_t capacity)
        : storage(count * capacity), frames(count) {
        for (std::size_t i = 0; i < count; ++i) {
            frames[i].data = storage.data() + i * capacity;
            frames[i].capacity = capacity;
        }
    }
    std::vector<std::byte> storage;
    std::vector<shmif::Frame> frames;
};

}  // namespace

Bridge::Bridge(const shmif::Bus& bus, TapDevice& tap, BridgeOptions options)
    : bus_(bus), tap_(tap), options_(options) {}

bool Bridge::stopping() const {
    return *stop_ != 0 || failed_.load(std::memory_order_relaxed);
}

BridgeResult Bridge::run(const std::atomic<int>* stop) {
    stop_ = stop;
    BridgeResult result;
    auto reader = make_tap_reader(tap_.fd(), options_.io, options_.batch);
    auto writer = make_tap_writer(tap_.fd(), options_.io, options_.batch);
    if (!reader || !writer) {
        const int err = !reader ? reader.error() : writer.error();
        result.error = fmt::format("io_uring setup: {} (try --io plain)", std::strerror(err));
        return result;
    }
    std::optional<std::string> inbound_error;
    std::thread inbound([&] {
        inbound_error = pump_tap_to_bus(**reader, result.tap_to_bus);
        if (inbound_error) failed_.store(true, std::memory_order_relaxed);
    });
    auto outbound_error = pump_bus_to_tap(**writer, result.bus_to_tap);
    if (outbound_error) failed_.store(true, std::memory_order_relaxed);
    inbound.join();
    result.error = inbound_error ? inbound_error : outbound_error;
    return result;
}

std::optional<std::string> Bridge::pump_tap_to_bus(TapReader& reader, TapToBusStats& stats) {
    shmif::Writer writer(bus_, {.sender = options_.sender});
    const std::size_t max_frame = bus_.max_frame();
    FrameBuffers buffers(options_.batch, kTapReadBuffer);
    std::vector<shmif::FrameBytes> batch;
    batch.reserve(options_.batch);
    while (!stopping()) {
        auto got = reader.read(buffers.frames, options_.stop_check);
        if (!got) return fmt::format("{}: read: {}", tap_.name(), std::strerror(got.error()));
        batch.clear();
        for (std::size_t i = 0; i < *got; ++i) {
            const shmif::Frame& f = buffers.frames[i];
            if (f.orig_len > max_frame) {  // the bus would refuse it: count it here instead
                ++stats.drop_oversize;
                continue;
            }
            batch.emplace_back(f.data, f.len);
        }
        if (batch.empty()) continue;
        auto sent = writer.send_batch(batch);
        ++stats.batches;
        if (!sent) {
            stats.drop_bus_error += batch.size();
            continue;
        }
        stats.frames += *sent;
        for (const auto& f : batch)
            stats.bytes += f.size();
    }
    return std::nullopt;
}

std::optional<std::string> Bridge::pump_bus_to_tap(TapWriter& writer, BusToTapStats& stats) {
    shmif::Cursor cursor(bus_, {.skip_sender = options_.sender, .start = shmif::StartAt::next});
    FrameBuffers buffers(options_.batch, bus_.max_frame());
    std::vector<shmif::FrameBytes> batch;
    batch.reserve(options_.batch);
    while (!stopping()) {
        auto got = cursor.receive_wait(buffers.frames, options_.stop_check);
        if (!got) {
            // A signal (SIGTERM, SIGINT) ends the wait early: the loop checks why.
            if (got.error().code == shmif::Errc::timed_out ||
                got.error().code == shmif::Errc::interrupted)
                continue;
            stats.cursor = cursor.stats();
            return fmt::format("{}: {}", bus_.path(), shmif::describe(got.error()));
        }
        batch.clear();
        for (std::size_t i = 0; i < *got; ++i)
            batch.emplace_back(buffers.frames[i].data, buffers.frames[i].len);
        const WriteResult r = writer.write(batch);
        ++stats.batches;
        stats.frames += r.written;
        stats.drop_tap_write += r.failed;
        stats.bytes += r.bytes;
        if (r.failed > 0) stats.last_write_error = r.last_error;
    }
    stats.cursor = cursor.stats();
    return std::nullopt;
}

std::string summary_line(const BridgeResult& r) {
    const auto& in = r.tap_to_bus;
    const auto& out = r.bus_to_tap;
    std::string line = fmt::format(
        "tap->bus {} frames {} bytes ({} oversize dropped, {} bus errors); "
        "bus->tap {} frames {} bytes ({} write errors",
        in.frames, in.bytes, in.drop_oversize, in.drop_bus_error, out.frames, out.bytes,
        out.drop_tap_write);
    if (out.drop_tap_write > 0)
        line += fmt::format(", last: {}", std::strerror(out.last_write_error));
    line += fmt::format("); bus overruns {}, lost {} frames", out.cursor.overruns,
                        out.cursor.lost_frames);
    if (out.cursor.lost_bytes > 0) line += fmt::format(" ({} bytes)", out.cursor.lost_bytes);
    if (out.cursor.truncated > 0) line += fmt::format(", {} truncated", out.cursor.truncated);
    return line;
}

}  // namespace shmiftap
