// ICMPv6 in the summary line (RFC 4443): echo, the four error messages with their codes,
// and Neighbor Discovery (RFC 4861): router and neighbor solicitations and advertisements
// with their link-layer address, prefix and MTU options. The checksum is checked when the
// whole message was captured (pseudo-header, RFC 8200 8.1).
#include "summary_detail.hpp"

namespace shmifdump::summary_detail {
namespace {

// The checksum the message should carry: the one's complement sum of the pseudo-header and
// the message with its checksum field taken as zero.
std::uint16_t expected_checksum(const Bytes& b, std::size_t off, std::size_t len, std::size_t src,
                                std::size_t dst) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < 16; i += 2)
        sum += std::uint64_t{b.u16(src + i)} + b.u16(dst + i);
    sum += (len >> 16) + (len & 0xffffU) + kIcmp6;
    for (std::size_t i = 0; i < len; i += 2) {
        if (i == 2) continue;  // the checksum field
        sum += i + 1 < len ? b.u16(off + i) : std::uint64_t{b.u8(off + i)} << 8;
    }
    while (sum > 0xffff)
        sum = (sum & 0xffffU) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffffU);
}

std::string_view unreachable_code(std::uint8_t code) {
    switch (code) {
        case 0:
            return "no route";
        case 1:
            return "administratively prohibited";
        case 2:
            return "beyond scope of source address";
        case 3:
            return "address unreachable";
        case 4:
            return "port unreachable";
        case 5:
            return "source address failed policy";
        case 6:
            return "reject route";
        case 7:
            return "error in source routing header";  // RFC 6554
        case 8:
            return "headers too long";  // RFC 8883
        default:
            return {};
    }
}

std::string_view time_exceeded_code(std::uint8_t code) {
    switch (code) {
        case 0:
            return "hop limit exceeded in transit";
        case 1:
            return "fragment reassembly time exceeded";
        default:
            return {};
    }
}

std::string_view parameter_problem_code(std::uint8_t code) {
    switch (code) {
        case 0:
            return "erroneous header field";
        case 1:
            return "unrecognized next header";
        case 2:
            return "unrecognized IPv6 option";
        case 3:
            return "incomplete header chain";  // RFC 7112
        default:
            return {};
    }
}

std::string code_text(std::string_view name, std::uint8_t code) {
    return name.empty() ? fmt::format("code {}", code) : std::string(name);
}

// An error message quotes the packet that caused it (from byte 8): its addresses, if they
// were captured.
std::string invoking_packet(const Bytes& b, std::size_t off, std::size_t len) {
    const std::size_t inner = off + 8;
    if (len < 8 + 40 || !b.has(inner, 40) || b.u8(inner) >> 4 != 6) return {};
    return fmt::format(", for {} > {}", b.ip6(inner + 8), b.ip6(inner + 24));
}

// NDP options (RFC 4861 4.6) from `at` to the message's end `end`: type, length in units
// of 8 octets (0 is invalid), value.
std::string nd_options(const Bytes& b, std::size_t at, std::size_t end) {
    std::string out;
    while (at < end) {
        if (at + 2 > end) return out + ", malformed option";
        if (!b.has(at, 2)) return out + ", truncated";
        const std::uint8_t type = b.u8(at);
        const std::size_t len = std::size_t{b.u8(at + 1)} * 8;
        if (len == 0 || at + len > end) return out + ", malformed option";
        if (!b.has(at, len)) return out + ", truncated";
        if ((type == 1 || type == 2) && len == 8)  // an Ethernet address
            out +=
                fmt::format(", {} link-address {}", type == 1 ? "source" : "target", b.mac(at + 2));
        else if (type == 3 && len == 32)  // prefix information
            out += fmt::format(", prefix {}/{}", b.ip6(at + 16), b.u8(at + 2));
        else if (type == 5 && len == 8)
            out += fmt::format(", mtu {}", b.u32(at + 4));
        else
            out += fmt::format(", option {}", type);
        at += len;
    }
    return out;
}

// The message without its checksum verdict; `len` is at least 4 and those 4 are captured.
std::string message(const Bytes& b, std::size_t off, std::size_t len) {
    const std::uint8_t type = b.u8(off);
    const std::uint8_t code = b.u8(off + 1);
    // Every message below has a fixed part of `need` bytes before its options.
    auto short_by = [&](std::string_view name, std::size_t need) -> std::optional<std::string> {
        if (len < need) return fmt::format("{}, bad length {}", name, len);
        if (!b.has(off, need)) return fmt::format("{}, truncated", name);
        return std::nullopt;
    };
    switch (type) {
        case 1:
            if (auto s = short_by("destination unreachable", 8)) return *s;
            return fmt::format("destination unreachable, {}{}",
                               code_text(unreachable_code(code), code),
                               invoking_packet(b, off, len));
        case 2:
            if (auto s = short_by("packet too big", 8)) return *s;
            return fmt::format("packet too big, mtu {}{}", b.u32(off + 4),
                               invoking_packet(b, off, len));
        case 3:
            if (auto s = short_by("time exceeded", 8)) return *s;
            return fmt::format("time exceeded, {}{}", code_text(time_exceeded_code(code), code),
                               invoking_packet(b, off, len));
        case 4:
            if (auto s = short_by("parameter problem", 8)) return *s;
            return fmt::format("parameter problem, {}, pointer {}{}",
                               code_text(parameter_problem_code(code), code), b.u32(off + 4),
                               invoking_packet(b, off, len));
        case 128:
        case 129: {
            const std::string_view name = type == 128 ? "echo request" : "echo reply";
            if (auto s = short_by(name, 8)) return *s;
            return fmt::format("{}, id {}, seq {}", name, b.u16(off + 4), b.u16(off + 6));
        }
        case 133:
            if (auto s = short_by("router solicitation", 8)) return *s;
            return "router solicitation" + nd_options(b, off + 8, off + len);
        case 134: {
            if (auto s = short_by("router advertisement", 16)) return *s;
            const std::uint8_t flags = b.u8(off + 5);
            std::string managed;
            if (flags & 0x80) managed += " M";
            if (flags & 0x40) managed += " O";
            return fmt::format("router advertisement, hop limit {}, lifetime {}s{}{}",
                               b.u8(off + 4), b.u16(off + 6),
                               managed.empty() ? "" : ", flags [" + managed.substr(1) + "]",
                               nd_options(b, off + 16, off + len));
        }
        case 135:
            if (auto s = short_by("neighbor solicitation", 24)) return *s;
            return fmt::format("neighbor solicitation, who has {}{}", b.ip6(off + 8),
                               nd_options(b, off + 24, off + len));
        case 136: {
            if (auto s = short_by("neighbor advertisement", 24)) return *s;
            const std::uint8_t flags = b.u8(off + 4);
            std::string rso;
            if (flags & 0x80) rso += " R";
            if (flags & 0x40) rso += " S";
            if (flags & 0x20) rso += " O";
            return fmt::format("neighbor advertisement, tgt is {}, flags [{}]{}", b.ip6(off + 8),
                               rso.empty() ? "none" : rso.substr(1),
                               nd_options(b, off + 24, off + len));
        }
        default:
            return fmt::format("type {} code {}", type, code);
    }
}

}  // namespace

std::string icmp6(const Bytes& b, std::size_t off, std::size_t len, const PseudoHeader& ph) {
    if (len < 4) return fmt::format("ICMPv6, bad length {}", len);
    if (!b.has(off, 4)) return "ICMPv6, truncated";
    std::string out = "ICMPv6 " + message(b, off, len);
    if (ph.dst && b.has(off, len)) {
        const std::uint16_t want = expected_checksum(b, off, len, ph.src, *ph.dst);
        const std::uint16_t got = b.u16(off + 2);
        // 0x0000 and 0xffff are both one's complement zero.
        if (got != want && !(want == 0 && got == 0xffff) && !(want == 0xffff && got == 0))
            out += fmt::format(", bad checksum 0x{:04x} (should be 0x{:04x})", got, want);
    }
    return out;
}

}  // namespace shmifdump::summary_detail
