#include "wire/icmp.hpp"

#include "wire/checksum.hpp"

namespace netstack::wire {

std::expected<IcmpRepr, IcmpError> IcmpRepr::parse(Bytes message) {
    if (message.size() < icmp_header_len) return std::unexpected(IcmpError::short_header);
    if (!checksum_ok(message)) return std::unexpected(IcmpError::bad_checksum);
    return IcmpRepr{.type = load8(message, 0),
                    .code = load8(message, 1),
                    .rest = load32(message, 4),
                    .data = message.subspan(icmp_header_len)};
}

void IcmpRepr::emit(MutableBytes out) const {
    store8(out, 0, type);
    store8(out, 1, code);
    store16(out, 2, 0);
    store32(out, 4, rest);
    store_bytes(out, icmp_header_len, data);
    store16(out, 2, checksum(out.first(buffer_len())));
}

}  // namespace netstack::wire
