// Where capture bytes go: a file descriptor behind a big user-space buffer, flushed with plain
// write(2) or with io_uring (liburing). libpcap encodes the records (pcap_dump into a stdio
// stream, see open_stream); this only moves the bytes.
//
// The io_uring path keeps up to kBuffers writes in flight at explicit file offsets, so the
// thread that formats records does not wait for the kernel's copy. It is used only on
// regular files (a pipe has no offsets to write at) and falls back to plain writes when the
// kernel refuses io_uring (io_uring_queue_init fails: ENOSYS, EPERM under seccomp or
// io_uring_disabled, ...). io_uring is the default (--plain-writes opts out): measured with
// bench/capture_bench.sh on a 2-vCPU VM, its zero-loss capture rate of 1514-byte frames was
// as high or higher in every run (quiet machine: 315 vs 200 kpps; shared: 500/500, 500/315,
// 800/500), it empties a full 512 MiB ring onto tmpfs 1-12 % faster and into ext4's page
// cache 10-23 % faster (its copies run on io-wq threads, on the other CPU); for 64-byte
// frames, where the reader and not the file is the limit, it was level (6.3 vs 6.3 Mpps
// quiet; noisy runs either way).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace shmifdump {

enum class IoMode : std::uint8_t { plain, uring };

class Output {
  public:
    virtual ~Output() = default;
    // Appends bytes; false on a write error (see error()). Buffered: may not reach the fd yet.
    virtual bool write(const void* data, std::size_t len) = 0;
    // Pushes everything to the kernel and waits for it. False on error.
    virtual bool flush() = 0;
    // flush() and close the fd (unless it is standard output). False on error.
    virtual bool close() = 0;
    virtual IoMode mode() const = 0;
    int error() const { return error_; }
    std::uint64_t bytes() const { return bytes_; }

  protected:
    int error_ = 0;            // errno of the first failure
    std::uint64_t bytes_ = 0;  // accepted by write()
};

struct OpenedOutput {
    std::unique_ptr<Output> out;
    std::string note;  // e.g. why io_uring was not used (empty when nothing to say)
};

// Opens `path` for writing (created 0644, truncated); "-" is standard output. On failure
// the errno is returned and nothing is created but what open(2) made.
int open_output(const std::string& path, IoMode mode, OpenedOutput& result);

// A stdio stream that writes into `out` (fopencookie, unbuffered: `out` buffers), for
// pcap_dump_fopen. Closing the stream does not close `out`.
std::FILE* open_stream(Output& out);

// Can this kernel set up an io_uring at all? errno of io_uring_queue_init, 0 when it can.
int probe_uring();

}  // namespace shmifdump
