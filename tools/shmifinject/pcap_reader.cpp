#include "pcap_reader.hpp"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <limits>
#include <utility>

namespace shmifinject {
namespace {

// Seconds and sub-second nanoseconds (the handle is opened with nanosecond precision, so
// tv_usec holds nanoseconds) as one count, saturated: pcapng timestamps are 64-bit counts in
// any unit, so a corrupt file can name a second that does not fit in int64 nanoseconds.
std::int64_t to_ns(const timeval& ts) {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    std::int64_t ns = 0;
    if (__builtin_mul_overflow(static_cast<std::int64_t>(ts.tv_sec), std::int64_t{1'000'000'000},
                               &ns))
        return ts.tv_sec < 0 ? kMin : kMax;
    std::int64_t sum = 0;
    if (__builtin_add_overflow(ns, static_cast<std::int64_t>(ts.tv_usec), &sum))
        return ts.tv_usec < 0 ? kMin : kMax;
    return sum;
}

std::string link_type_name(int dlt) {
    const char* name = pcap_datalink_val_to_name(dlt);
    const char* description = pcap_datalink_val_to_description(dlt);
    if (name == nullptr) return fmt::format("{} (unknown)", dlt);
    if (description == nullptr) return name;
    return fmt::format("{} ({})", name, description);
}

}  // namespace

PcapReader::PcapReader(pcap* handle) : handle_(handle) {
    // Pipes, sockets and terminals can make a read wait; regular files and memory streams
    // (fmemopen: no descriptor) cannot.
    struct ::stat st {};
    std::FILE* stream = pcap_file(handle_);
    const int fd = stream != nullptr ? ::fileno(stream) : -1;
    stream_input_ = fd >= 0 && ::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode);
}

PcapReader::PcapReader(PcapReader&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)),
      frames_(other.frames_),
      stream_input_(other.stream_input_),
      error_(std::move(other.error_)) {}

PcapReader& PcapReader::operator=(PcapReader&& other) noexcept {
    if (this != &other) {
        if (handle_ != nullptr) pcap_close(handle_);
        handle_ = std::exchange(other.handle_, nullptr);
        frames_ = other.frames_;
        stream_input_ = other.stream_input_;
        error_ = std::move(other.error_);
    }
    return *this;
}

PcapReader::~PcapReader() {
    if (handle_ != nullptr) pcap_close(handle_);
}

std::expected<PcapReader, std::string> PcapReader::checked(pcap* handle) {
    // Only Ethernet goes on an Ethernet bus: anything else would need a link-layer header
    // invented for it (Linux cooked captures, raw IP, 802.11 with radiotap, ...).
    const int dlt = pcap_datalink(handle);
    if (dlt != DLT_EN10MB) {
        pcap_close(handle);
        return std::unexpected(
            fmt::format("link type {} is not Ethernet: only EN10MB captures can be injected",
                        link_type_name(dlt)));
    }
    return PcapReader(handle);
}

std::expected<PcapReader, std::string> PcapReader::open(const std::string& path) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    // pcap_open_offline reads standard input for "-".
    pcap* handle =
        pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (handle == nullptr) return std::unexpected(std::string(errbuf));
    return checked(handle);
}

std::expected<PcapReader, std::string> PcapReader::open(std::FILE* stream) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap* handle =
        pcap_fopen_offline_with_tstamp_precision(stream, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (handle == nullptr) {
        std::fclose(stream);  // libpcap leaves the stream to the caller when it fails
        return std::unexpected(std::string(errbuf));
    }
    return checked(handle);
}

PcapReader::Next PcapReader::next(Packet& out) {
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(handle_, &header, &data);
    if (rc == 1) {
        ++frames_;
        out.data = {reinterpret_cast<const std::byte*>(data), header->caplen};
        out.wire_len = header->len;
        out.ts_ns = to_ns(header->ts);
        return Next::frame;
    }
    if (rc == PCAP_ERROR_BREAK) return Next::end;  // savefiles: the end of the file
    error_ = fmt::format("{} (after frame {})", pcap_geterr(handle_), frames_);
    return Next::error;
}

bool PcapReader::may_block() const {
    if (!stream_input_) return false;
    std::FILE* stream = pcap_file(handle_);
    if (stream == nullptr) return true;
#ifdef __GLIBC__
    // Bytes already in the stdio buffer: the next read is served from memory.
    if (stream->_IO_read_ptr < stream->_IO_read_end) return false;
#endif
    ::pollfd pfd{::fileno(stream), POLLIN, 0};
    return ::poll(&pfd, 1, 0) == 0;  // readable, end of file or error: no wait
}

}  // namespace shmifinject
