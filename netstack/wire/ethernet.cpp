#include "wire/ethernet.hpp"

namespace netstack::wire {

Parsed<EthernetRepr> EthernetRepr::parse(Bytes frame) {
    EthernetView view(frame);
    if (!view.check_len()) return malformed();
    EthernetRepr repr{.dst = view.dst(), .src = view.src(), .ethertype = view.ethertype()};
    if (repr.ethertype == std::uint16_t(EtherType::vlan) ||
        repr.ethertype == std::uint16_t(EtherType::qinq)) {
        if (frame.size() < ethernet_header_len + vlan_tag_len) return malformed();
        repr.vlan_tci = load16(frame, 14);
        repr.ethertype = load16(frame, 16);
    }
    return repr;
}

void EthernetRepr::emit(MutableBytes frame) const {
    EthernetView view(frame);
    view.set_dst(dst);
    view.set_src(src);
    if (vlan_tci) {
        view.set_ethertype(std::uint16_t(EtherType::vlan));
        store16(frame, 14, *vlan_tci);
        store16(frame, 16, ethertype);
    } else {
        view.set_ethertype(ethertype);
    }
}

}  // namespace netstack::wire
