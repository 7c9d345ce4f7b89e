// ARP for IPv4 over Ethernet (RFC 826): the only hardware/protocol pair we speak.
//
//   0 htype(1) 2 ptype(0x0800) 4 hlen(6) 5 plen(4) 6 oper 8 sha 14 spa 18 tha 24 tpa 28
#pragma once

#include <cstdint>

#include "netstack/address.hpp"
#include "wire/bytes.hpp"
#include "wire/error.hpp"

namespace netstack::wire {

inline constexpr std::size_t arp_packet_len = 28;

enum class ArpOperation : std::uint16_t { request = 1, reply = 2 };

template <typename Buffer>
class ArpView {
  public:
    explicit ArpView(Buffer buffer) : buffer_(buffer) {}
    bool check_len() const { return buffer_.size() >= arp_packet_len; }
    std::uint16_t hardware_type() const { return load16(buffer_, 0); }
    std::uint16_t protocol_type() const { return load16(buffer_, 2); }
    std::uint8_t hardware_len() const { return load8(buffer_, 4); }
    std::uint8_t protocol_len() const { return load8(buffer_, 5); }
    std::uint16_t operation() const { return load16(buffer_, 6); }
    MacAddress sender_mac() const { return mac_at(8); }
    Ipv4Address sender_ip() const { return {load32(buffer_, 14)}; }
    MacAddress target_mac() const { return mac_at(18); }
    Ipv4Address target_ip() const { return {load32(buffer_, 24)}; }

  private:
    MacAddress mac_at(std::size_t at) const { return load_mac(buffer_, at); }
    Buffer buffer_;
};

struct ArpRepr {
    ArpOperation operation = ArpOperation::request;
    MacAddress sender_mac{};
    Ipv4Address sender_ip{};
    MacAddress target_mac{};
    Ipv4Address target_ip{};

    // Rejects anything but Ethernet/IPv4 with lengths 6/4 and operation 1 or 2.
    static Parsed<ArpRepr> parse(Bytes packet);
    static constexpr std::size_t buffer_len() { return arp_packet_len; }
    void emit(MutableBytes packet) const;
    auto operator<=>(const ArpRepr&) const = default;
};

}  // namespace netstack::wire
