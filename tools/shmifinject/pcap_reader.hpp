// Reading a capture file for shmifinject: a thin owner of a libpcap savefile handle. libpcap
// does all the parsing (pcap with micro- or nanosecond timestamps, either byte order, and
// pcapng); this class adds the checks the injector needs and error text that names the frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <expected>
#include <span>
#include <string>

struct pcap;  // libpcap's pcap_t

namespace shmifinject {

// One captured frame. `data` stays valid until the next call to PcapReader::next().
struct Packet {
    std::span<const std::byte> data;  // the captured bytes (caplen)
    std::uint32_t wire_len = 0;       // length on the wire (len); > data.size() if truncated
    std::int64_t ts_ns = 0;           // capture timestamp, nanoseconds since the epoch
};

class PcapReader {
  public:
    // Opens a pcap or pcapng file; "-" is standard input. The error is one line of text
    // (libpcap's, or the link-type check's) without the path.
    static std::expected<PcapReader, std::string> open(const std::string& path);
    // As open(), from a stream the reader takes over (closed with the reader). On failure the
    // stream is closed too.
    static std::expected<PcapReader, std::string> open(std::FILE* stream);

    PcapReader(PcapReader&& other) noexcept;
    PcapReader& operator=(PcapReader&& other) noexcept;
    PcapReader(const PcapReader&) = delete;
    PcapReader& operator=(const PcapReader&) = delete;
    ~PcapReader();

    enum class Next { frame, end, error };
    // The next frame into `out`; end at a clean end of file; error for a truncated or corrupt
    // file or a read error, described by error().
    Next next(Packet& out);
    // "<libpcap's reason> (after frame N)" for the last error (N = frames read before it).
    const std::string& error() const { return error_; }
    // Frames read so far (the number of the last one, counting from 1).
    std::uint64_t frames_read() const { return frames_; }
    // True when the next read could block waiting for a writer: the input is a pipe, socket or
    // terminal and has nothing buffered or ready. False for regular files. The injector uses
    // this to send what it holds before waiting on a slow producer (`tcpdump -w - | ...`).
    bool may_block() const;

  private:
    explicit PcapReader(pcap* handle);
    static std::expected<PcapReader, std::string> checked(pcap* handle);

    pcap* handle_ = nullptr;
    std::uint64_t frames_ = 0;
    bool stream_input_ = false;  // not a regular file
    std::string error_;
};

}  // namespace shmifinject
