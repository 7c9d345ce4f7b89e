#include "harness.hpp"

namespace nstest {

InterfaceConfig interface_config(const std::string& name, MacAddress mac) {
    InterfaceConfig config;
    config.name = name;
    config.mac = mac;
    return config;
}

Harness::Harness(StackConfig config, bool with_eth0) : stack(config) {
    if (with_eth0) eth0 = add_interface(interface_config("eth0", our_mac), cidr(our_ip, 24));
}

InterfaceId Harness::add_interface(InterfaceConfig config, std::optional<Ipv4Cidr> address,
                                   std::size_t max_frame) {
    auto device = std::make_unique<MemoryDevice>(max_frame);
    auto id = stack.add_interface(config, *device);
    if (!id) {
        ADD_FAILURE() << "add_interface " << config.name << ": " << describe(id.error());
        return 0;
    }
    devices_[*id] = std::move(device);
    if (address) {
        auto added = stack.add_address(*id, *address, now());
        if (!added) ADD_FAILURE() << "add_address: " << describe(added.error());
        own_address_[*id] = address->address;
    }
    devices_[*id]->clear();
    return *id;
}

MemoryDevice& Harness::device(InterfaceId id) {
    return *devices_.at(id);
}

void Harness::inject_all(const std::vector<Bytes>& frames, InterfaceId id) {
    for (const auto& frame : frames)
        inject(frame, id);
}

std::vector<Parsed> Harness::sent(InterfaceId id) {
    std::vector<Parsed> out;
    for (const auto& frame : device(id).take_all()) {
        auto parsed = parse(frame);
        if (!parsed) {
            ADD_FAILURE() << "the stack sent a malformed frame of " << frame.size() << " bytes";
            continue;
        }
        out.push_back(std::move(*parsed));
    }
    return out;
}

void Harness::clear_sent() {
    for (auto& [id, device] : devices_)
        device->clear();
}

void Harness::advance(Duration d) {
    clock.advance(d);
    stack.poll(now());
}

void Harness::learn(MacAddress mac, Ipv4Address address, InterfaceId id) {
    inject(arp_frame(
               {.op = 1, .sender_mac = mac, .sender_ip = address, .target_ip = own_address_.at(id)},
               EthernetSpec{.dst = MacAddress::broadcast(), .src = mac, .type = ethertype::arp}),
           id);
    device(id).clear();
}

std::vector<Parsed> ip_frames(const std::vector<Parsed>& frames, std::uint8_t protocol) {
    std::vector<Parsed> out;
    for (const auto& f : frames)
        if (f.ip && (protocol == 0 || f.ip->protocol == protocol)) out.push_back(f);
    return out;
}

std::vector<Parsed> arp_frames(const std::vector<Parsed>& frames, std::uint16_t op) {
    std::vector<Parsed> out;
    for (const auto& f : frames)
        if (f.arp && (op == 0 || f.arp->op == op)) out.push_back(f);
    return out;
}

std::vector<Parsed> icmp_frames(const std::vector<Parsed>& frames, std::uint8_t type) {
    std::vector<Parsed> out;
    for (const auto& f : frames)
        if (f.icmp && f.icmp->type == type) out.push_back(f);
    return out;
}

}  // namespace nstest
