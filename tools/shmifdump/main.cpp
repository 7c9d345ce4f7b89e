// shmifdump: see what crossed a shmif bus (native or NetBSD rump format), as tcpdump does
// for an interface. Prints one line per frame, or writes pcap / pcapng files (with rotation)
// that tcpdump, tshark and Wireshark read; a BPF filter selects frames.
//
// Exit status: 0 success, 1 the capture failed (no such bus, not a bus, unwritable output,
// write error), 2 usage error (bad option or value, invalid filter expression).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "capture.hpp"
#include "version_flag.hpp"

namespace shmifdump {
namespace {

// -C: millions of bytes as tcpdump counts them, or with a k/m/g suffix powers of 1024.
std::optional<std::uint64_t> parse_file_size(const std::string& text) {
    if (text.empty()) return std::nullopt;
    double unit = 1e6;
    std::string number = text;
    switch (text.back()) {
        case 'k':
        case 'K':
            unit = 1024.0;
            number.pop_back();
            break;
        case 'm':
        case 'M':
            unit = 1024.0 * 1024.0;
            number.pop_back();
            break;
        case 'g':
        case 'G':
            unit = 1024.0 * 1024.0 * 1024.0;
            number.pop_back();
            break;
        default:
            break;
    }
    try {
        std::size_t used = 0;
        const double v = std::stod(number, &used);
        if (used != number.size() || !(v > 0) || !std::isfinite(v)) return std::nullopt;
        const double bytes = std::ceil(v * unit);
        if (bytes > 1e18) return std::nullopt;
        return static_cast<std::uint64_t>(bytes);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

constexpr const char* kFooter =
    R"(Exit status: 0 success; 1 the capture failed (no such bus, not a bus, output not
writable, write error); 2 usage error (bad option or value, invalid filter).

Printed lines decode Ethernet, 802.1Q, ARP, IPv4 (ICMP echo), IPv6 (extension headers,
fragments), ICMPv6 (echo, errors, Neighbor Discovery; bad checksums flagged), UDP and TCP
(ports, flags); other protocols are named by number.

Frames the capture missed (lapped on the bus, or dropped because the file writes fell
behind) are counted: reported on exit and on SIGUSR1, and in a pcapng file's interface
statistics (isb_ifdrop). On NetBSD-format buses lost frames are estimated from lost bytes.

Examples:
  shmifdump /dev/shm/bus0                               one line per frame, live
  shmifdump /dev/shm/bus0 -w - | tcpdump -n -e -r -     pcap to standard output
  shmifdump /dev/shm/bus0 -w dns.pcap 'udp port 53'     with a BPF filter
  shmifdump /dev/shm/bus0 -w x.pcapng --pcapng --nano   pcapng, nanosecond time stamps
  shmifdump /dev/shm/bus0 --snapshot -w ring.pcap       what the ring holds now, oldest first
  shmifdump /dev/shm/bus0 -w cap -C 100 -W 5            ring of cap0..cap4, 100 MB each
  shmifdump /dev/shm/bus0 -w cap-%H%M%S.pcap -G 60      a file per minute, on the minute)";

}  // namespace

int main_(int argc, char** argv) {
    CLI::App app{
        "shmifdump: show or record the frames crossing a shmif bus (native or NetBSD rump "
        "format), like tcpdump on an interface",
        "shmifdump"};
    app.footer(kFooter);
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return fmt::format("shmifdump: {} (see --help)\n", e.what());
    });
    shmif::tool::add_version_flag(app);

    Options o;
    std::vector<std::string> filter_words;
    std::string file_size;
    bool plain_writes = false;
    std::uint64_t queue_mb = 64;
    app.add_option("BUS", o.bus, "Path of the bus file")->required();
    app.add_option("FILTER", filter_words,
                   "BPF filter expression (pcap-filter(7)), compiled by libpcap; several "
                   "words are joined by spaces");
    app.add_option("-w", o.write,
                   "Write frames to FILE as pcap (or pcapng with --pcapng) instead of printing "
                   "them; - is standard output. With -G, FILE is a strftime(3) pattern")
        ->option_text("FILE");
    app.add_flag("--pcapng", o.pcapng,
                 "Write pcapng (through libwiretap; the file is completed when it is closed, "
                 "with an interface statistics block carrying the drop count)");
    app.add_flag("--nano", o.nano, "Nanosecond time stamps (files and printed lines)");
    app.add_flag("--snapshot", o.snapshot,
                 "Dump what the ring holds now, oldest frame first, and exit (works on a bus "
                 "nobody is attached to)");
    app.add_option("-c", o.count, "Stop after COUNT frames (after the filter)")
        ->option_text("COUNT");
    app.add_option("-s", o.snaplen, "Bytes kept per frame (0 = 262144, the default)")
        ->option_text("SNAPLEN");
    app.add_option("-C", file_size,
                   "Start a new file when the current one exceeds SIZE millions of bytes "
                   "(or SIZE with a k/m/g suffix: KiB/MiB/GiB); names FILE, FILE1, ... or, with "
                   "-W, FILE0..FILE<W-1>, a ring")
        ->option_text("SIZE");
    app.add_option("-G", o.rotate_secs,
                   "Start a new file every SECONDS, on multiples of SECONDS of the wall clock "
                   "(-G 60: on the minute); FILE is passed through strftime(3)")
        ->option_text("SECONDS")
        ->check(CLI::Range(1U, 31U * 86400U));
    app.add_option("-W", o.files,
                   "With -C: a ring of FILES files. With -G alone: stop after FILES files")
        ->option_text("FILES")
        ->check(CLI::Range(1U, 1000000U));
    app.add_flag("--plain-writes", plain_writes,
                 "Write files with write(2) instead of io_uring (the default, which already "
                 "falls back to write(2) when the kernel refuses io_uring)");
    app.add_option("--queue-mb", queue_mb,
                   "Memory for frames waiting to be written, in MiB; when it is full whole "
                   "batches are dropped and counted")
        ->capture_default_str()
        ->check(CLI::Range(1U, 65536U));
    app.add_flag("-q,--quiet", o.quiet, "No start line and no summary unless frames were missed");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);
        return status == 0 ? exit_ok : exit_usage;
    }
    auto usage = [](const std::string& message) {
        fmt::print(stderr, "shmifdump: {}\n", message);
        return exit_usage;
    };
    for (const auto& w : filter_words)
        o.filter += (o.filter.empty() ? "" : " ") + w;
    if (o.snaplen == 0) o.snaplen = 262144;
    o.io = plain_writes ? IoMode::plain : IoMode::uring;
    o.queue_bytes = queue_mb << 20;
    if (!file_size.empty()) {
        auto v = parse_file_size(file_size);
        if (!v) return usage(fmt::format("-C: invalid size '{}'", file_size));
        o.rotate_bytes = *v;
    }
    const bool rotating = o.rotate_bytes != 0 || o.rotate_secs != 0;
    if (rotating && o.write.empty()) return usage("-C and -G need -w FILE");
    if (rotating && o.write == "-") return usage("-C and -G cannot rotate standard output");
    if (o.files != 0 && !rotating) return usage("-W needs -C or -G");
    if (o.pcapng && o.write.empty()) return usage("--pcapng needs -w FILE");
    if (o.snapshot && o.rotate_secs != 0) return usage("--snapshot cannot be used with -G");
    return run_capture(o);
}

}  // namespace shmifdump

int main(int argc, char** argv) {
    return shmifdump::main_(argc, argv);
}
