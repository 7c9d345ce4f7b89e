// pcapng output, through Wireshark's libwiretap.
//
// Why not libpcap: libpcap 1.10 (and libpcap's master as of 2024, issue #1304: "Does libpcap
// support writing pcapng format?" "Not currently.") writes classic pcap only. Hand-writing
// pcapng blocks is what this tool must not do. libwiretap (Debian's libwiretap-dev, the
// library Wireshark, tshark and editcap write files with) writes pcapng, including the
// Interface Statistics Block that carries isb_ifdrop.
//
// Why a conversion at close: libwiretap 4.0 writes ISBs only from the statistics the
// interface description held when the file was opened (the dumper keeps its own copy of
// the IDB; there is no call to add statistics later), and the drop count is known only at
// the end. So a pcapng file is captured as classic pcap (by libpcap, the same writer as
// -w FILE) into a spool file beside it, then rewritten as pcapng with the final statistics
// by libwiretap, and the spool removed. The price: the pcapng file appears when its part of
// the capture ends (at rotation or exit), and -w - --pcapng writes standard output at exit;
// for a live pipe into Wireshark or tcpdump use classic pcap (-w -).
//
// Licence note: libwiretap is GPL-2.0-or-later; shmifdump links it dynamically.
#pragma once

#include <cstdint>
#include <string>

namespace shmifdump {

struct InterfaceStats {
    std::uint64_t start_ns = 0;   // isb_starttime
    std::uint64_t end_ns = 0;     // isb_endtime
    std::uint64_t received = 0;   // isb_ifrecv: frames this file's part of the capture saw
    std::uint64_t dropped = 0;    // isb_ifdrop: frames it missed (bus overrun, full queue)
    std::uint64_t accepted = 0;   // isb_filteraccept
    std::uint64_t delivered = 0;  // isb_usrdeliv: frames written to the file
    std::string comment;          // opt_comment on the ISB (empty: none)
};

struct InterfaceInfo {
    std::string name;         // if_name: the bus path
    std::string description;  // if_description
    std::string filter;       // if_filter (the BPF expression text), empty when none
};

// Reads the classic pcap file `spool` and writes `target` ("-" = standard output) as
// pcapng with one IDB (`info`, the spool's link type, snap length and time resolution)
// and, after the packets, one ISB (`stats`). Returns an empty string or the error text.
std::string convert_to_pcapng(const std::string& spool, const std::string& target,
                              const InterfaceInfo& info, const InterfaceStats& stats);

}  // namespace shmifdump
