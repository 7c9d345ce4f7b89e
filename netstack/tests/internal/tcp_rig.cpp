#include "tcp_rig.hpp"

#include "wire/arp.hpp"
#include "wire/ethernet.hpp"
#include "wire/icmp.hpp"
#include "wire/ipv4.hpp"

namespace netstack::tcptest {

StackConfig plain_config() {
    StackConfig config;
    config.tcp.window_scaling = false;
    config.tcp.timestamps = false;
    config.tcp.sack = false;
    return config;
}

std::vector<std::byte> bytes_of(std::size_t n, std::uint8_t start) {
    std::vector<std::byte> out(n);
    for (std::size_t i = 0; i < n; ++i)
        out[i] = std::byte(static_cast<std::uint8_t>(start + i * 7 + i / 251));
    return out;
}

TcpRig::TcpRig(StackConfig config, std::size_t max_frame) : device(max_frame), stack(config) {
    eth0 = *stack.add_interface({.name = "eth0", .mac = our_mac}, device);
    EXPECT_TRUE(stack.add_address(eth0, {our_ip, 24}, now()));
    // Teach the stack the peer's MAC (an ARP request from it), so segments leave at once.
    std::vector<std::byte> frame(wire::ethernet_header_len + wire::arp_packet_len);
    wire::EthernetRepr{.dst = MacAddress::broadcast(),
                       .src = peer_mac,
                       .ethertype = std::uint16_t(wire::EtherType::arp)}
        .emit(frame);
    wire::ArpRepr{.operation = wire::ArpOperation::request,
                  .sender_mac = peer_mac,
                  .sender_ip = peer_ip,
                  .target_mac = {},
                  .target_ip = our_ip}
        .emit(std::span(frame).subspan(wire::ethernet_header_len));
    stack.receive(eth0, frame, now());
    device.frames.clear();
}

void TcpRig::inject(wire::TcpRepr seg, std::span<const std::byte> data) {
    seg.payload = data;
    const std::size_t tcp_len = seg.buffer_len();
    std::vector<std::byte> frame(wire::ethernet_header_len + wire::ipv4_min_header_len + tcp_len);
    wire::EthernetRepr{
        .dst = our_mac, .src = peer_mac, .ethertype = std::uint16_t(wire::EtherType::ipv4)}
        .emit(frame);
    auto ip = std::span(frame).subspan(wire::ethernet_header_len);
    wire::Ipv4Repr{.src = peer_ip,
                   .dst = our_ip,
                   .protocol = std::uint8_t(wire::IpProtocol::tcp),
                   .dont_fragment = true,
                   .payload_len = tcp_len}
        .emit(ip);
    seg.emit(ip.subspan(wire::ipv4_min_header_len), peer_ip, our_ip);
    stack.receive(eth0, frame, now());
}

void TcpRig::answer_arp(std::span<const std::byte> request) {
    auto arp = wire::ArpRepr::parse(request);
    if (!arp || arp->operation != wire::ArpOperation::request || arp->target_ip != peer_ip) return;
    std::vector<std::byte> frame(wire::ethernet_header_len + wire::arp_packet_len);
    wire::EthernetRepr{
        .dst = our_mac, .src = peer_mac, .ethertype = std::uint16_t(wire::EtherType::arp)}
        .emit(frame);
    wire::ArpRepr{.operation = wire::ArpOperation::reply,
                  .sender_mac = peer_mac,
                  .sender_ip = peer_ip,
                  .target_mac = our_mac,
                  .target_ip = our_ip}
        .emit(std::span(frame).subspan(wire::ethernet_header_len));
    stack.receive(eth0, frame, now());
}

std::vector<Sent> TcpRig::sent() {
    std::vector<Sent> out;
    // The peer answers ARP (the stack re-checks its neighbours now and then), which may
    // release segments that waited for it: read until nothing new comes.
    for (int round = 0; round < 4; ++round) {
        auto frames = std::move(device.frames);
        device.frames.clear();
        for (auto& frame : frames) {
            auto eth = wire::EthernetRepr::parse(frame);
            if (eth && eth->ethertype == std::uint16_t(wire::EtherType::arp))
                answer_arp(wire::Bytes(frame).subspan(eth->buffer_len()));
        }
        for (auto& frame : frames)
            parse_into(frame, out);
        if (device.frames.empty()) break;
    }
    return out;
}

void TcpRig::parse_into(std::span<const std::byte> frame, std::vector<Sent>& out) {
    {
        auto eth = wire::EthernetRepr::parse(frame);
        if (!eth || eth->ethertype != std::uint16_t(wire::EtherType::ipv4)) return;
        auto ip_bytes = wire::Bytes(frame).subspan(eth->buffer_len());
        auto ip = wire::Ipv4Repr::parse(ip_bytes);
        EXPECT_TRUE(ip.has_value());
        if (!ip || ip->protocol != std::uint8_t(wire::IpProtocol::tcp)) return;
        auto tcp = wire::TcpRepr::parse(wire::Ipv4View(ip_bytes).payload(), ip->src, ip->dst);
        EXPECT_TRUE(tcp.has_value()) << "the stack sent a malformed TCP segment";
        if (!tcp) return;
        Sent s{.tcp = *tcp,
               .data = {tcp->payload.begin(), tcp->payload.end()},
               .src = ip->src,
               .dst = ip->dst,
               .dont_fragment = ip->dont_fragment};
        s.tcp.payload = {};
        out.push_back(std::move(s));
    }
}

Sent TcpRig::one() {
    auto all = sent();
    EXPECT_EQ(all.size(), 1u) << "expected exactly one segment";
    if (all.empty()) return {};
    return all.front();
}

void TcpRig::advance(Duration d) {
    clock.advance(d);
    stack.poll(now());
}

void TcpRig::inject_unreachable(std::uint8_t code, const Sent& about, std::uint32_t rest) {
    // RFC 792: the offending datagram's IP header and its first 8 data bytes (the ports
    // and the sequence number).
    std::vector<std::byte> quoted(wire::ipv4_min_header_len + 8);
    wire::Ipv4Repr{.src = about.src,
                   .dst = about.dst,
                   .protocol = std::uint8_t(wire::IpProtocol::tcp),
                   .dont_fragment = true,
                   .payload_len = about.tcp.header_len() + about.data.size()}
        .emit(quoted);
    auto tcp = std::span(quoted).subspan(wire::ipv4_min_header_len);
    wire::store16(tcp, 0, about.tcp.src_port);
    wire::store16(tcp, 2, about.tcp.dst_port);
    wire::store32(tcp, 4, about.tcp.seq);
    const wire::IcmpRepr icmp{.type = std::uint8_t(wire::IcmpType::destination_unreachable),
                              .code = code,
                              .rest = rest,
                              .data = quoted};
    std::vector<std::byte> frame(wire::ethernet_header_len + wire::ipv4_min_header_len +
                                 icmp.buffer_len());
    wire::EthernetRepr{
        .dst = our_mac, .src = peer_mac, .ethertype = std::uint16_t(wire::EtherType::ipv4)}
        .emit(frame);
    auto ip = std::span(frame).subspan(wire::ethernet_header_len);
    wire::Ipv4Repr{.src = peer_ip,
                   .dst = our_ip,
                   .protocol = std::uint8_t(wire::IpProtocol::icmp),
                   .payload_len = icmp.buffer_len()}
        .emit(ip);
    icmp.emit(ip.subspan(wire::ipv4_min_header_len));
    stack.receive(eth0, frame, now());
}

SocketId TcpRig::listen(std::uint16_t port, std::size_t backlog) {
    const SocketId s = *stack.tcp_open();
    EXPECT_TRUE(stack.tcp_bind(s, {Ipv4Address::any(), port}));
    EXPECT_TRUE(stack.tcp_listen(s, backlog));
    return s;
}

SocketId TcpRig::accept_from(SocketId listener, std::uint16_t from_port, std::uint16_t port,
                             std::uint32_t peer_iss) {
    return accept_syn(listener, {.src_port = from_port,
                                 .dst_port = port,
                                 .seq = peer_iss,
                                 .flags = flag::syn,
                                 .window = 65535,
                                 .mss = 1460})
        .first;
}

std::pair<SocketId, Sent> TcpRig::accept_syn(SocketId listener, const wire::TcpRepr& syn) {
    peer_port = syn.src_port;
    local_port = syn.dst_port;
    inject(syn);
    Sent synack = one();
    EXPECT_EQ(synack.tcp.flags, flag::syn | flag::ack);
    EXPECT_EQ(synack.tcp.ack, syn.seq + 1);
    our_seq = synack.tcp.seq + 1;
    peer_seq = syn.seq + 1;
    inject(peer(flag::ack));
    nothing_sent();
    auto accepted = stack.tcp_accept(listener);
    EXPECT_TRUE(accepted.has_value());
    return {accepted.value_or(0), std::move(synack)};
}

SocketId TcpRig::connect_to(std::uint16_t port, std::uint32_t peer_iss) {
    const SocketId s = *stack.tcp_open();
    EXPECT_TRUE(stack.tcp_connect(s, {peer_ip, port}, now()));
    const Sent syn = one();
    EXPECT_EQ(syn.tcp.flags, flag::syn);
    peer_port = port;
    local_port = syn.tcp.src_port;
    our_seq = syn.tcp.seq + 1;
    peer_seq = peer_iss + 1;
    inject({.src_port = port,
            .dst_port = local_port,
            .seq = peer_iss,
            .ack = our_seq,
            .flags = flag::syn | flag::ack,
            .window = 65535,
            .mss = 1460});
    const Sent ack = one();
    EXPECT_EQ(ack.tcp.flags, flag::ack);
    EXPECT_EQ(ack.tcp.ack, peer_seq);
    return s;
}

wire::TcpRepr TcpRig::peer(std::uint8_t flags, std::uint16_t window) const {
    return {.src_port = peer_port,
            .dst_port = local_port,
            .seq = peer_seq,
            .ack = our_seq,
            .flags = flags,
            .window = window};
}

std::vector<SocketEvent> TcpRig::events() {
    std::vector<SocketEvent> out;
    stack.take_events(out);
    return out;
}

}  // namespace netstack::tcptest
