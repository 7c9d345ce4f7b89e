#include "ethernet.hpp"

#include <fmt/format.h>

#include <cstring>

namespace demo {
namespace {

constexpr std::size_t kDst = 0, kSrc = 6, kType = 12, kMagic = 14, kIndex = 18, kPid = 22,
                      kSeq = 26, kFill = 34;
constexpr std::array<char, 4> kMagicBytes{'S', 'H', 'D', 'M'};

template <typename T>
void put_be(std::span<std::byte> out, std::size_t at, T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i)
        out[at + i] = static_cast<std::byte>(
            (static_cast<std::uint64_t>(value) >> (8 * (sizeof(T) - 1 - i))) & 0xffU);
}

template <typename T>
T get_be(std::span<const std::byte> in, std::size_t at) {
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
        value =
            static_cast<T>(value << 8 | static_cast<T>(std::to_integer<std::uint8_t>(in[at + i])));
    return value;
}

}  // namespace

std::string Mac::str() const {
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", bytes[0], bytes[1], bytes[2],
                       bytes[3], bytes[4], bytes[5]);
}

std::uint64_t Mac::as_u64() const {
    std::uint64_t value = 0;
    for (auto b : bytes)
        value = value << 8 | b;
    return value;
}

Mac peer_mac(unsigned index) {
    const unsigned n = index + 1;
    return Mac{{0x02, 0x73, 0x68, 0x6d, static_cast<std::uint8_t>(n >> 8 & 0xffU),
                static_cast<std::uint8_t>(n & 0xffU)}};
}

void build_frame(std::span<std::byte> out, const Mac& src, const DemoPayload& payload) {
    for (std::size_t i = 0; i < 6; ++i) {
        out[kDst + i] = std::byte{0xff};
        out[kSrc + i] = static_cast<std::byte>(src.bytes[i]);
    }
    put_be<std::uint16_t>(out, kType, kEtherType);
    std::memcpy(out.data() + kMagic, kMagicBytes.data(), kMagicBytes.size());
    put_be<std::uint32_t>(out, kIndex, payload.index);
    put_be<std::uint32_t>(out, kPid, payload.pid);
    put_be<std::uint64_t>(out, kSeq, payload.seq);
    for (std::size_t i = kFill; i < out.size(); ++i)
        out[i] = static_cast<std::byte>((payload.seq + i) & 0xffU);
}

std::optional<ParsedFrame> parse_frame(std::span<const std::byte> frame) {
    if (frame.size() < kMinFrame || get_be<std::uint16_t>(frame, kType) != kEtherType ||
        std::memcmp(frame.data() + kMagic, kMagicBytes.data(), kMagicBytes.size()) != 0)
        return std::nullopt;
    ParsedFrame parsed;
    for (std::size_t i = 0; i < 6; ++i)
        parsed.src.bytes[i] = std::to_integer<std::uint8_t>(frame[kSrc + i]);
    parsed.payload.index = get_be<std::uint32_t>(frame, kIndex);
    parsed.payload.pid = get_be<std::uint32_t>(frame, kPid);
    parsed.payload.seq = get_be<std::uint64_t>(frame, kSeq);
    parsed.filler_ok = true;
    for (std::size_t i = kFill; i < frame.size() && parsed.filler_ok; ++i)
        parsed.filler_ok = frame[i] == static_cast<std::byte>((parsed.payload.seq + i) & 0xffU);
    return parsed;
}

}  // namespace demo
