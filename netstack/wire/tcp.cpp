#include "wire/tcp.hpp"

#include <algorithm>
#include <cstring>

#include "wire/checksum.hpp"
#include "wire/ip_protocol.hpp"

namespace netstack::wire {

namespace {

constexpr std::size_t max_options_len = tcp_max_header_len - tcp_header_len;

// Parses the option bytes into `repr`; false when a length is malformed (RFC 9293 3.1:
// a length that runs past the header, or a known kind with the wrong length).
bool parse_options(Bytes options, TcpRepr& repr) {
    std::size_t at = 0;
    while (at < options.size()) {
        const std::uint8_t kind = load8(options, at);
        if (kind == tcp_option::eol) break;
        if (kind == tcp_option::nop) {
            ++at;
            continue;
        }
        if (at + 1 >= options.size()) return false;
        const std::size_t len = load8(options, at + 1);
        if (len < 2 || at + len > options.size()) return false;
        const Bytes body = options.subspan(at + 2, len - 2);
        switch (kind) {
            case tcp_option::mss:
                if (len != 4) return false;
                repr.mss = load16(body, 0);
                break;
            case tcp_option::window_scale:
                if (len != 3) return false;
                repr.window_scale = load8(body, 0);
                break;
            case tcp_option::sack_permitted:
                if (len != 2) return false;
                repr.sack_permitted = true;
                break;
            case tcp_option::timestamps:
                if (len != 10) return false;
                repr.timestamps = TcpTimestamps{load32(body, 0), load32(body, 4)};
                break;
            case tcp_option::sack: {
                if ((len - 2) % 8 != 0 || len == 2) return false;
                repr.sack_count = 0;
                for (std::size_t i = 0; i < (len - 2) / 8 && i < tcp_max_sack_blocks; ++i) {
                    repr.sack[i] = {load32(body, i * 8), load32(body, i * 8 + 4)};
                    ++repr.sack_count;
                }
                break;
            }
            default:  // unknown: skipped by its length
                break;
        }
        at += len;
    }
    return true;
}

// Option bytes before the SACK blocks (always a multiple of 4).
std::size_t fixed_options_len(const TcpRepr& r) {
    std::size_t n = 0;
    if (r.mss) n += 4;
    if (r.timestamps)
        n += 12;  // with SACK-permitted in front of it, or two NOPs
    else if (r.sack_permitted)
        n += 4;
    if (r.window_scale) n += 4;
    return n;
}

std::size_t sack_blocks_fitting(const TcpRepr& r) {
    const std::size_t room = max_options_len - fixed_options_len(r);
    if (room < 12) return 0;
    return std::min<std::size_t>({r.sack_count, (room - 4) / 8, tcp_max_sack_blocks});
}

}  // namespace

std::expected<TcpRepr, TcpError> TcpRepr::parse(Bytes segment, const IpAddress& src,
                                                const IpAddress& dst, TcpChecksum checksum) {
    if (segment.size() < tcp_header_len) return std::unexpected(TcpError::short_header);
    const std::size_t offset = std::size_t{load8(segment, 12)} / 16 * 4;
    if (offset < tcp_header_len) return std::unexpected(TcpError::bad_offset);
    if (offset > segment.size()) return std::unexpected(TcpError::short_header);
    if (segment.size() > 0xffff) return std::unexpected(TcpError::bad_checksum);
    if (checksum == TcpChecksum::full && pseudo_header(src, dst, std::uint8_t(IpProtocol::tcp),
                                                       static_cast<std::uint16_t>(segment.size()))
                                                 .add(segment)
                                                 .sum() != 0xffff)
        return std::unexpected(TcpError::bad_checksum);
    TcpRepr repr{.src_port = load16(segment, 0),
                 .dst_port = load16(segment, 2),
                 .seq = load32(segment, 4),
                 .ack = load32(segment, 8),
                 .flags = load8(segment, 13),
                 .window = load16(segment, 14),
                 .urgent = load16(segment, 18),
                 .payload = segment.subspan(offset)};
    if (!parse_options(segment.subspan(tcp_header_len, offset - tcp_header_len), repr))
        return std::unexpected(TcpError::bad_option);
    return repr;
}

std::size_t TcpRepr::options_len() const {
    const std::size_t blocks = sack_blocks_fitting(*this);
    return fixed_options_len(*this) + (blocks ? 4 + blocks * 8 : 0);
}

void TcpRepr::emit_header(MutableBytes out, const IpAddress& src, const IpAddress& dst,
                          Bytes payload_in_place, TcpChecksum checksum) const {
    const std::size_t header = header_len();
    store16(out, 0, src_port);
    store16(out, 2, dst_port);
    store32(out, 4, seq);
    store32(out, 8, ack);
    store8(out, 12, static_cast<std::uint8_t>(header / 4 << 4));
    store8(out, 13, flags);
    store16(out, 14, window);
    store16(out, 16, 0);
    store16(out, 18, urgent);
    std::size_t at = tcp_header_len;
    auto put = [&](std::initializer_list<std::uint8_t> bytes) {
        for (auto b : bytes)
            store8(out, at++, b);
    };
    if (mss) {
        put({tcp_option::mss, 4});
        store16(out, at, *mss);
        at += 2;
    }
    if (timestamps) {
        if (sack_permitted)
            put({tcp_option::sack_permitted, 2});
        else
            put({tcp_option::nop, tcp_option::nop});
        put({tcp_option::timestamps, 10});
        store32(out, at, timestamps->value);
        store32(out, at + 4, timestamps->echo);
        at += 8;
    } else if (sack_permitted) {
        put({tcp_option::nop, tcp_option::nop, tcp_option::sack_permitted, 2});
    }
    if (window_scale) put({tcp_option::nop, tcp_option::window_scale, 3, *window_scale});
    if (const std::size_t blocks = sack_blocks_fitting(*this)) {
        put({tcp_option::nop, tcp_option::nop, tcp_option::sack,
             static_cast<std::uint8_t>(2 + blocks * 8)});
        for (std::size_t i = 0; i < blocks; ++i) {
            store32(out, at, sack[i].left);
            store32(out, at + 4, sack[i].right);
            at += 8;
        }
    }
    const auto length = static_cast<std::uint16_t>(header + payload_in_place.size());
    const Checksum pseudo = pseudo_header(src, dst, std::uint8_t(IpProtocol::tcp), length);
    if (checksum == TcpChecksum::loopback) {
        store16(out, 16, pseudo.sum());
        return;
    }
    store16(out, 16, Checksum(pseudo).add(out.first(header)).add(payload_in_place).finish());
}

void TcpRepr::emit(MutableBytes out, const IpAddress& src, const IpAddress& dst,
                   TcpChecksum checksum) const {
    const std::size_t header = header_len();
    // memmove, not an element loop: this copy is most of what sending costs.
    if (!payload.empty()) std::memmove(out.data() + header, payload.data(), payload.size());
    emit_header(out, src, dst, Bytes(out).subspan(header, payload.size()), checksum);
}

}  // namespace netstack::wire
