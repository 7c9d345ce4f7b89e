// The frames shmif-demo sends: broadcast Ethernet II frames from a per-process MAC, with a
// payload that says who sent them and in what order.
//
//   0  dst  ff:ff:ff:ff:ff:ff
//   6  src  02:73:68:6d:HI:LO   locally administered; HI:LO = process index + 1
//  12  type 0x88b5              IEEE 802 "local experimental" EtherType
//  14  "SHDM"                   magic, so stray frames from other bus users are told apart
//  18  index    u32 big-endian  process index, 0-based
//  22  pid      u32 big-endian
//  26  seq      u64 big-endian  0, 1, 2, ... per process
//  34  filler up to the frame length (at least 60 bytes, Ethernet's minimum without FCS)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace demo {

inline constexpr std::size_t kMinFrame = 60;
inline constexpr std::size_t kMaxFrame = 1514;
inline constexpr std::uint16_t kEtherType = 0x88b5;

struct Mac {
    std::array<std::uint8_t, 6> bytes{};

    std::string str() const;
    // The MAC as a 48-bit number: used as the frame's shmif sender id too.
    std::uint64_t as_u64() const;
    friend bool operator==(const Mac&, const Mac&) = default;
};

Mac peer_mac(unsigned index);

struct DemoPayload {
    std::uint32_t index = 0;
    std::uint32_t pid = 0;
    std::uint64_t seq = 0;
};

struct ParsedFrame {
    Mac src;
    DemoPayload payload;
    bool filler_ok = false;  // every filler byte as build_frame wrote it: the frame is whole
};

// Writes a frame of exactly out.size() bytes (kMinFrame..kMaxFrame).
void build_frame(std::span<std::byte> out, const Mac& src, const DemoPayload& payload);
// nullopt for anything that is not a demo frame.
std::optional<ParsedFrame> parse_frame(std::span<const std::byte> frame);

}  // namespace demo
