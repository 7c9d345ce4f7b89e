// Ethernet II frames (IEEE 802.3 clause 3.2.6 framing with an EtherType) and one 802.1Q tag.
//
//   0      6      12         14 (or 18 with a tag)
//   | dst  | src  | type     | payload ...     (no preamble, no FCS: devices strip them)
//   |      |      | 0x8100 TCI type | payload   (802.1Q: tag protocol id, then the real type)
#pragma once

#include <cstdint>
#include <optional>

#include "netstack/address.hpp"
#include "wire/bytes.hpp"
#include "wire/error.hpp"

namespace netstack::wire {

enum class EtherType : std::uint16_t {
    ipv4 = 0x0800,
    arp = 0x0806,
    ipv6 = 0x86dd,
    vlan = 0x8100,  // IEEE 802.1Q customer tag
    qinq = 0x88a8,  // IEEE 802.1ad service tag
};

inline constexpr std::size_t ethernet_header_len = 14;
inline constexpr std::size_t vlan_tag_len = 4;

// A view of an untagged Ethernet header. Accessors are safe once check_len() succeeded.
template <typename Buffer>
class EthernetView {
  public:
    explicit EthernetView(Buffer buffer) : buffer_(buffer) {}
    bool check_len() const { return buffer_.size() >= ethernet_header_len; }
    MacAddress dst() const { return mac_at(0); }
    MacAddress src() const { return mac_at(6); }
    std::uint16_t ethertype() const { return load16(buffer_, 12); }
    Buffer payload() const { return buffer_.subspan(ethernet_header_len); }

    void set_dst(MacAddress m) { put_mac(0, m); }
    void set_src(MacAddress m) { put_mac(6, m); }
    void set_ethertype(std::uint16_t t) { store16(buffer_, 12, t); }

  private:
    MacAddress mac_at(std::size_t at) const { return load_mac(buffer_, at); }
    void put_mac(std::size_t at, MacAddress m) { store_mac(buffer_, at, m); }
    Buffer buffer_;
};

// The parsed header: addresses, the (inner) EtherType, and the 802.1Q tag if there was one.
struct EthernetRepr {
    MacAddress dst{};
    MacAddress src{};
    std::uint16_t ethertype = 0;
    std::optional<std::uint16_t> vlan_tci{};  // tag control information (PCP, DEI, VLAN id)

    // Accepts one 802.1Q or 802.1ad tag; a second (stacked) tag is left as the EtherType.
    static Parsed<EthernetRepr> parse(Bytes frame);
    std::size_t buffer_len() const { return ethernet_header_len + (vlan_tci ? vlan_tag_len : 0); }
    // Writes buffer_len() bytes at the start of `frame` (which must be that long).
    void emit(MutableBytes frame) const;
};

}  // namespace netstack::wire
