// shmifdump's capture: a reader of the bus like any other, and a writer thread behind it.
//
//   reader (the main thread)            writer thread
//   Cursor::receive_wait -> filter ->   pop batch -> text lines, or libpcap records into
//   pack into a Batch -> bounded queue  a file (pcap; pcapng via libwiretap), rotating
//
// The reader never waits for the writer: when the queue is full the whole batch is dropped
// and counted, so the bus read side keeps moving and the capture's losses stay countable. A
// capture never slows the bus's writers either: on the native format its cursor takes no
// lock and writes nothing shared; on NetBSD's it takes the bus lock once per batch
// received, as every NetBSD reader does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "exit_status.hpp"
#include "file_io.hpp"

namespace shmifdump {

using shmif::tool::exit_failure;
using shmif::tool::exit_ok;
using shmif::tool::exit_usage;
using shmif::tool::ExitStatus;

struct Options {
    std::string bus;
    std::string write;  // -w FILE ("-" = standard output); empty: print lines
    bool pcapng = false;
    bool nano = false;
    bool snapshot = false;
    std::uint64_t count = 0;         // -c: stop after this many frames (0: no limit)
    std::uint32_t snaplen = 262144;  // -s
    std::uint64_t rotate_bytes = 0;  // -C, in bytes (0: off)
    std::uint32_t rotate_secs = 0;   // -G (0: off)
    std::uint32_t files = 0;         // -W (0: no limit)
    IoMode io = IoMode::uring;
    std::string filter;                     // the BPF expression, words joined by spaces
    std::uint64_t queue_bytes = 64U << 20;  // bound on bytes queued for the writer
    bool quiet = false;
};

// Runs the capture; returns the exit status. Errors are one line on stderr,
// "shmifdump: PATH: why".
int run_capture(const Options& opts);

// File names of the rotation, as tcpdump makes them (exposed for the tests):
// `base` (after strftime, with -G) plus the -C file index: none for the first file without
// -W, else the index, zero-padded to the digits of W - 1 when -W is given.
std::string rotated_name(const std::string& base, std::uint64_t index, std::uint32_t files,
                         bool size_rotation);

}  // namespace shmifdump
