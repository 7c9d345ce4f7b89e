#include "wire/arp.hpp"

namespace netstack::wire {

namespace {
constexpr std::uint16_t hardware_ethernet = 1;
constexpr std::uint16_t protocol_ipv4 = 0x0800;
}  // namespace

Parsed<ArpRepr> ArpRepr::parse(Bytes packet) {
    ArpView view(packet);
    if (!view.check_len()) return malformed();
    if (view.hardware_type() != hardware_ethernet || view.protocol_type() != protocol_ipv4 ||
        view.hardware_len() != 6 || view.protocol_len() != 4)
        return malformed();
    const auto op = view.operation();
    if (op != std::uint16_t(ArpOperation::request) && op != std::uint16_t(ArpOperation::reply))
        return malformed();
    return ArpRepr{.operation = ArpOperation(op),
                   .sender_mac = view.sender_mac(),
                   .sender_ip = view.sender_ip(),
                   .target_mac = view.target_mac(),
                   .target_ip = view.target_ip()};
}

void ArpRepr::emit(MutableBytes packet) const {
    store16(packet, 0, hardware_ethernet);
    store16(packet, 2, protocol_ipv4);
    store8(packet, 4, 6);
    store8(packet, 5, 4);
    store16(packet, 6, std::uint16_t(operation));
    store_mac(packet, 8, sender_mac);
    store32(packet, 14, sender_ip.value);
    store_mac(packet, 18, target_mac);
    store32(packet, 24, target_ip.value);
}

}  // namespace netstack::wire
