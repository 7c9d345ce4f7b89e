#include "ip/fragmenter.hpp"

#include <algorithm>

#include "wire/ipv4.hpp"

namespace netstack::ip {

using wire::Bytes;

std::vector<std::byte> copied_options(Bytes options) {
    constexpr std::uint8_t end_of_list = 0, no_operation = 1, copied_flag = 0x80;
    std::vector<std::byte> out;
    for (std::size_t i = 0; i < options.size();) {
        const std::uint8_t type = wire::load8(options, i);
        if (type == end_of_list) break;
        if (type == no_operation) {
            ++i;
            continue;
        }
        if (i + 1 >= options.size()) break;
        const std::size_t len = wire::load8(options, i + 1);
        if (len < 2 || i + len > options.size()) break;
        if (type & copied_flag)
            out.insert(out.end(), options.begin() + static_cast<std::ptrdiff_t>(i),
                       options.begin() + static_cast<std::ptrdiff_t>(i + len));
        i += len;
    }
    out.resize((out.size() + 3) / 4 * 4, std::byte{end_of_list});
    return out;
}

std::vector<std::vector<std::byte>> fragment(Bytes datagram, std::size_t mtu,
                                             std::size_t headroom) {
    std::vector<std::vector<std::byte>> out;
    auto repr = wire::Ipv4Repr::parse(datagram);
    if (!repr) return out;
    wire::Ipv4View view(datagram);
    const Bytes payload = view.payload();
    const Bytes first_options = view.options();
    const std::vector<std::byte> later_options = copied_options(first_options);

    for (std::size_t done = 0; done < payload.size();) {
        const Bytes options = done == 0 ? first_options : Bytes(later_options);
        const std::size_t header_len = wire::ipv4_min_header_len + options.size();
        if (mtu < header_len + 8) return {};
        const std::size_t room = (mtu - header_len) / 8 * 8;
        const std::size_t len = std::min(room, payload.size() - done);
        const bool last = done + len == payload.size();

        wire::Ipv4Repr piece = *repr;
        piece.frag_offset = repr->frag_offset + done;
        piece.more_fragments = last ? repr->more_fragments : true;
        piece.payload_len = len;
        std::vector<std::byte> buffer(headroom + header_len + len);
        auto ip = wire::MutableBytes(buffer).subspan(headroom);
        piece.emit(ip, options);
        std::ranges::copy(payload.subspan(done, len),
                          ip.begin() + static_cast<std::ptrdiff_t>(header_len));
        out.push_back(std::move(buffer));
        done += len;
    }
    return out;
}

}  // namespace netstack::ip
