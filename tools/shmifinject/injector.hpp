// The replay loop of shmifinject: frames from a PcapReader, paced, onto a bus through a
// shmif::Writer.
//
// Pacing runs on absolute deadlines (CLOCK_MONOTONIC, TIMER_ABSTIME): frame k is due at
// start + offset(k), where the offset comes from the capture's own gaps, a frame count or a
// byte count, never from when the previous frame happened to go out. A late wake-up therefore
// makes the next frames go out sooner rather than pushing the whole schedule back, and the
// rate over a long run is exact. Frames that are already due when read are gathered and sent
// with one send_batch (one lock, one wake-up): at top speed or at a rate faster than the
// sleep granularity that is most frames; at slow rates every frame goes out alone, the moment
// it is due.
#pragma once

#include <atomic>

#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <vector>

#include "pcap_reader.hpp"
#include "shmif/writer.hpp"

namespace shmifinject {

enum class Pace : std::uint8_t {
    realtime,  // the capture's own gaps between frames (tcpreplay's default)
    pps,       // `rate` frames per second
    mbps,      // `rate` megabits (10^6 bits) of frame bytes per second
    topspeed,  // as fast as the bus takes them
};

struct PaceOptions {
    Pace mode = Pace::realtime;
    double rate = 0;  // pps and mbps only; > 0
};

struct InjectStats {
    std::uint64_t frames = 0;     // sent onto the bus
    std::uint64_t bytes = 0;      // their bytes
    std::uint64_t oversize = 0;   // skipped: larger than the bus's max_frame
    std::uint64_t runt = 0;       // skipped: shorter than an Ethernet header (caplen < 14)
    std::uint64_t truncated = 0;  // sent as captured, shorter than on the wire
    std::uint64_t batches = 0;    // send_batch calls
    double elapsed_s = 0;         // first frame's deadline to the last send
};

// What stopped a run: the capture (truncated, corrupt, unreadable) or the bus (the writer
// failed, e.g. a live lock holder that never let go). One line of text, without the path.
struct Failure {
    enum class Where : std::uint8_t { capture, bus };
    Where where;
    std::string message;
};

class Injector {
  public:
    // Warnings (skipped and truncated frames) go to `warn`, the first few of each kind only;
    // the counts in stats() are complete. `warn` may be empty.
    Injector(shmif::Writer& writer, std::uint32_t max_frame, PaceOptions pace,
             std::function<void(const std::string&)> warn = {});

    // Replays `reader` to its end. Called again with a new reader (--loop), the schedule goes
    // on where it stopped. Returns early, cleanly, once *stop is non-zero (checked between
    // frames and whenever a signal interrupts a wait). On a failure, the frames read before
    // it are sent first.
    std::expected<void, Failure> run(PcapReader& reader, const std::atomic<int>* stop);

    const InjectStats& stats() const { return stats_; }

  private:
    bool stopped() const { return stop_ != nullptr && *stop_ != 0; }
    std::int64_t deadline_for(std::size_t len);
    bool sleep_until(std::int64_t deadline_ns);  // false when stopped
    void add(const Packet& packet);
    std::expected<void, Failure> flush();
    void warn(std::uint64_t count, const std::string& text);

    shmif::Writer& writer_;
    std::uint32_t max_frame_;
    PaceOptions pace_;
    std::function<void(const std::string&)> warn_;
    const std::atomic<int>* stop_ = nullptr;
    InjectStats stats_;

    // The schedule: CLOCK_MONOTONIC nanoseconds of the first frame, and where it stands.
    bool started_ = false;
    std::int64_t start_ns_ = 0;
    std::int64_t gap_sum_ns_ = 0;       // realtime: sum of the capture's gaps so far
    std::int64_t prev_ts_ns_ = 0;       // realtime: timestamp of the previous frame of this pass
    std::uint64_t scheduled_ = 0;       // pps: frames given a deadline so far
    std::uint64_t scheduled_bits_ = 0;  // mbps: their bits

    // Frames read and due, waiting for one send_batch. Copies: libpcap's buffer is reused by
    // the next read, and a SendBatch holds the bus lock, which must not wait on file I/O.
    std::vector<std::byte> arena_;
    std::vector<std::size_t> ends_;  // end offset of each pending frame in arena_
    std::vector<shmif::FrameBytes> views_;
};

}  // namespace shmifinject
