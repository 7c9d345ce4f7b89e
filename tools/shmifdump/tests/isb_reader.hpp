// Reads a pcapng file's interface statistics back with libwiretap, the library Wireshark
// reads files with (capinfos and tshark 4.0 print no ISB drop counts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace shmifdump::test {

struct IsbValues {
    std::uint64_t ifrecv = 0, ifdrop = 0, filteraccept = 0, usrdeliv = 0;
    std::uint64_t starttime = 0, endtime = 0;
    std::string comment;
    std::string if_name;
    std::uint64_t packets = 0;  // records read
};

// The first ISB of interface 0, after reading the whole file; nullopt when there is none.
std::optional<IsbValues> read_isb(const std::string& path);

}  // namespace shmifdump::test
