// Fuzz target: arbitrary bytes as a capture file, through shmifinject's own reading code
// (libpcap on an fmemopen stream: pcap or pcapng, whichever the magic number says) and its
// replay loop at top speed, into a small native bus in /dev/shm made once per process. ASan
// and UBSan watch libpcap's output being used (lengths, timestamps) and the batching; the
// checks below hold the counts together.
//
// corpus/pcap_reader holds small valid captures (pcap micro/nano, both byte orders, pcapng,
// truncated frames, oversize and empty frames) for the fuzzer to mutate.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "injector.hpp"
#include "pcap_reader.hpp"
#include "shmif/bus.hpp"
#include "shmif/writer.hpp"

namespace {

// 64 KiB ring: max_frame is capped at a quarter of it (16 KiB), well below what libpcap
// accepts (256 KiB), so the oversize path is reachable.
constexpr std::uint64_t kBusSize = 4096 + 64 * 1024;

struct Target {
    std::string path;
    std::unique_ptr<shmif::Bus> bus;
    std::unique_ptr<shmif::Writer> writer;

    Target() {
        const char* base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        path = std::string(base) + "/shmif-fuzz-pcap-" + std::to_string(::getpid()) + ".bus";
        ::unlink(path.c_str());
        auto b = shmif::Bus::create(path, {.size = kBusSize, .exclusive = true});
        if (!b) std::abort();
        bus = std::make_unique<shmif::Bus>(std::move(*b));
        writer = std::make_unique<shmif::Writer>(*bus, shmif::WriterOptions{.sender = 0x5eed});
    }
    ~Target() {
        writer.reset();
        bus.reset();
        ::unlink(path.c_str());
    }
};

Target& target() {
    static Target t;
    return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;  // fmemopen refuses an empty buffer
    Target& t = target();
    // Read-only stream over the input; the reader owns (and closes) it from here on.
    std::FILE* stream = ::fmemopen(const_cast<std::uint8_t*>(data), size, "rb");
    if (stream == nullptr) return 0;
    auto reader = shmifinject::PcapReader::open(stream);
    if (!reader) return 0;

    const std::uint64_t bus_frames_before = t.writer->stats().frames;
    shmifinject::Injector injector(*t.writer, t.bus->max_frame(), {shmifinject::Pace::topspeed, 0});
    const auto done = injector.run(*reader, nullptr);
    const auto& s = injector.stats();
    // Every frame read is sent or counted as skipped, also when the file ends in an error.
    if (s.frames + s.oversize + s.runt != reader->frames_read()) std::abort();
    if (t.writer->stats().frames - bus_frames_before != s.frames) std::abort();
    if (s.truncated > s.frames) std::abort();
    // Top speed from memory: full batches of 64 (or 1 MiB), one send_batch per batch.
    if (s.batches > s.frames || s.batches < (s.frames + 63) / 64) std::abort();
    if (!done && done.error().where != shmifinject::Failure::Where::capture) std::abort();
    return 0;
}
