// A port forward's text form (forward/forward_spec.hpp): what --forward and --expose accept,
// their defaults, the errors (each naming what is wrong), the canonical text, the ports of
// a range, the limits and which forwards overlap.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "forward/forward_spec.hpp"

namespace shmifd::forward {
namespace {

using netstack::Endpoint;
using netstack::Ipv4Address;

constexpr auto kIn = Direction::inbound;
constexpr auto kOut = Direction::outbound;

Ipv4Address ip(const char* text) {
    return *Ipv4Address::parse(text);
}

Endpoint ep(const char* address, std::uint16_t port) {
    return {ip(address), port};
}

// The spec `text` parses to (a test failure, and a default spec, when it does not).
ForwardSpec parsed(const std::string& text, Direction direction) {
    auto spec = parse_forward(text, direction);
    EXPECT_TRUE(spec.has_value()) << text << ": " << spec.error();
    return spec.value_or(ForwardSpec{});
}

// Why `text` is refused ("(accepted)" when it is not).
std::string error_of(const std::string& text, Direction direction) {
    auto spec = parse_forward(text, direction);
    if (spec) return "(accepted)";
    return spec.error();
}

ForwardSpec make(Direction direction, Protocol protocol, const char* host, std::uint16_t host_port,
                 const char* virt, std::uint16_t virtual_port, std::uint16_t count = 1) {
    ForwardSpec spec;
    spec.direction = direction;
    spec.protocol = protocol;
    spec.host_address = ip(host);
    spec.host_port = host_port;
    spec.virtual_address = ip(virt);
    spec.virtual_port = virtual_port;
    spec.count = count;
    return spec;
}

// --- Inbound (--forward): host → virtual ---------------------------------------------------

TEST(ForwardSpec, InboundFullForm) {
    const auto s = parsed("tcp:127.0.0.1:8080=10.0.0.2:80", kIn);
    EXPECT_EQ(s, make(kIn, Protocol::tcp, "127.0.0.1", 8080, "10.0.0.2", 80));
    EXPECT_EQ(s.max_connections, default_max_connections);
    EXPECT_EQ(s.udp_timeout_ms, default_udp_timeout_ms);
    EXPECT_EQ(s.listen(0), ep("127.0.0.1", 8080));
    EXPECT_EQ(s.target(0), ep("10.0.0.2", 80));
}

TEST(ForwardSpec, InboundHostAddressDefaultsToLoopback) {
    const auto s = parsed("tcp:8080=10.0.0.2:80", kIn);
    EXPECT_EQ(s.host_address, Ipv4Address::from_octets(127, 0, 0, 1));
    EXPECT_EQ(s.host_port, 8080);
    EXPECT_EQ(s.virtual_address, ip("10.0.0.2"));
    EXPECT_EQ(s.virtual_port, 80);
}

TEST(ForwardSpec, InboundTargetPortDefaultsToTheListeningPort) {
    const auto s = parsed("tcp:8080=10.0.0.2", kIn);
    EXPECT_EQ(s, make(kIn, Protocol::tcp, "127.0.0.1", 8080, "10.0.0.2", 8080));
    EXPECT_EQ(s.to_string(), "tcp:127.0.0.1:8080=10.0.0.2:8080");
}

TEST(ForwardSpec, InboundWildcardHostIsWrittenOut) {
    const auto s = parsed("tcp:0.0.0.0:8080=10.0.0.2:80", kIn);
    EXPECT_TRUE(s.host_address.is_any());
    EXPECT_EQ(s.listen(0), ep("0.0.0.0", 8080));
    EXPECT_EQ(s.to_string(), "tcp:0.0.0.0:8080=10.0.0.2:80");
}

TEST(ForwardSpec, InboundRangeOntoTheSamePorts) {
    const auto s = parsed("tcp:9000-9010=10.0.0.2:9000-9010", kIn);
    EXPECT_EQ(s, make(kIn, Protocol::tcp, "127.0.0.1", 9000, "10.0.0.2", 9000, 11));
    EXPECT_EQ(s.to_string(), "tcp:127.0.0.1:9000-9010=10.0.0.2:9000-9010");
    // The target's range may be left out: the same ports.
    EXPECT_EQ(parsed("tcp:9000-9010=10.0.0.2", kIn), s);
}

TEST(ForwardSpec, InboundRangeOntoADifferentBase) {
    const auto s = parsed("tcp:9000-9002=10.0.0.2:7000-7002", kIn);
    EXPECT_EQ(s, make(kIn, Protocol::tcp, "127.0.0.1", 9000, "10.0.0.2", 7000, 3));
    for (std::uint16_t i = 0; i < 3; ++i) {
        EXPECT_EQ(s.listen(i), ep("127.0.0.1", static_cast<std::uint16_t>(9000 + i)));
        EXPECT_EQ(s.target(i), ep("10.0.0.2", static_cast<std::uint16_t>(7000 + i)));
    }
}

TEST(ForwardSpec, RangeOfOnePortIsOnePort) {
    const auto s = parsed("tcp:8080-8080=10.0.0.2:80-80", kIn);
    EXPECT_EQ(s, parsed("tcp:8080=10.0.0.2:80", kIn));
    EXPECT_EQ(s.to_string(), "tcp:127.0.0.1:8080=10.0.0.2:80");
}

TEST(ForwardSpec, WholePortRange) {
    const auto s = parsed("tcp:0.0.0.0:1-65535=10.0.0.2", kIn);
    EXPECT_EQ(s.count, 65535);
    EXPECT_EQ(s.listen(0).port, 1);
    EXPECT_EQ(s.listen(65534).port, 65535);
    EXPECT_EQ(s.target(65534), ep("10.0.0.2", 65535));
    EXPECT_EQ(s.to_string(), "tcp:0.0.0.0:1-65535=10.0.0.2:1-65535");
}

TEST(ForwardSpec, Udp) {
    const auto s = parsed("udp:5353=10.0.0.2:53", kIn);
    EXPECT_EQ(s, make(kIn, Protocol::udp, "127.0.0.1", 5353, "10.0.0.2", 53));
    EXPECT_EQ(s.to_string(), "udp:127.0.0.1:5353=10.0.0.2:53");
    EXPECT_EQ(s.name(), "forward udp:127.0.0.1:5353=10.0.0.2:53");
    const auto o = parsed("udp:10.0.0.1:53=8.8.8.8", kOut);
    EXPECT_EQ(o, make(kOut, Protocol::udp, "8.8.8.8", 53, "10.0.0.1", 53));
    EXPECT_EQ(o.name(), "expose udp:10.0.0.1:53=8.8.8.8:53");
}

// --- Outbound (--expose): virtual → host ---------------------------------------------------

TEST(ForwardSpec, OutboundFullForm) {
    const auto s = parsed("tcp:10.0.0.1:5432=127.0.0.1:5432", kOut);
    EXPECT_EQ(s, make(kOut, Protocol::tcp, "127.0.0.1", 5432, "10.0.0.1", 5432));
    EXPECT_EQ(s.listen(0), ep("10.0.0.1", 5432));
    EXPECT_EQ(s.target(0), ep("127.0.0.1", 5432));
    EXPECT_EQ(s.name(), "expose tcp:10.0.0.1:5432=127.0.0.1:5432");
}

TEST(ForwardSpec, OutboundTargetDefaults) {
    const auto full = make(kOut, Protocol::tcp, "127.0.0.1", 5432, "10.0.0.1", 5432);
    // No host address: 127.0.0.1; no port: the listening one; neither: both.
    EXPECT_EQ(parsed("tcp:10.0.0.1:5432=5432", kOut), full);
    EXPECT_EQ(parsed("tcp:10.0.0.1:5432=127.0.0.1", kOut), full);
    EXPECT_EQ(parsed("tcp:10.0.0.1:5432=192.168.1.5", kOut),
              make(kOut, Protocol::tcp, "192.168.1.5", 5432, "10.0.0.1", 5432));
    EXPECT_EQ(parsed("tcp:10.0.0.1:80=8080", kOut),
              make(kOut, Protocol::tcp, "127.0.0.1", 8080, "10.0.0.1", 80));
}

TEST(ForwardSpec, OutboundListensOnEveryVirtualAddress) {
    const auto s = parsed("tcp:0.0.0.0:80=8080", kOut);
    EXPECT_TRUE(s.virtual_address.is_any());
    EXPECT_EQ(s.listen(0), ep("0.0.0.0", 80));
    EXPECT_EQ(s.target(0), ep("127.0.0.1", 8080));
    EXPECT_EQ(s.to_string(), "tcp:0.0.0.0:80=127.0.0.1:8080");
}

TEST(ForwardSpec, OutboundRanges) {
    const auto s = parsed("tcp:10.0.0.1:9000-9002=127.0.0.1:7000-7002", kOut);
    EXPECT_EQ(s, make(kOut, Protocol::tcp, "127.0.0.1", 7000, "10.0.0.1", 9000, 3));
    EXPECT_EQ(s.listen(2), ep("10.0.0.1", 9002));
    EXPECT_EQ(s.target(2), ep("127.0.0.1", 7002));
    EXPECT_EQ(parsed("tcp:10.0.0.1:9000-9002=7000-7002", kOut), s);
    EXPECT_EQ(parsed("tcp:10.0.0.1:9000-9002=127.0.0.1", kOut),
              make(kOut, Protocol::tcp, "127.0.0.1", 9000, "10.0.0.1", 9000, 3));
}

// --- Errors ------------------------------------------------------------------------------

TEST(ForwardSpec, ErrorsNameTheDirectionTheTextAndTheProblem) {
    EXPECT_EQ(error_of("8080=10.0.0.2", kIn),
              "forward '8080=10.0.0.2': expected tcp: or udp: first");
    EXPECT_EQ(error_of("sctp:8080=10.0.0.2:80", kIn),
              "forward 'sctp:8080=10.0.0.2:80': the protocol must be tcp or udp, not 'sctp'");
    EXPECT_EQ(error_of("tcp:10.0.0.1:80", kOut),
              "expose 'tcp:10.0.0.1:80': expected one '=' between the listening side and the "
              "target");
}

TEST(ForwardSpec, ProtocolIsRequiredAndTcpOrUdp) {
    for (const char* text : {"", "8080=10.0.0.2", "127.0.0.1=10.0.0.2"})
        EXPECT_NE(error_of(text, kIn).find("expected tcp: or udp: first"), std::string::npos)
            << text;
    // Without a protocol, what comes before the first ':' is taken for one.
    EXPECT_EQ(error_of("8080=10.0.0.2:80", kIn),
              "forward '8080=10.0.0.2:80': the protocol must be tcp or udp, not '8080=10.0.0.2'");
    for (const char* text : {"sctp:8080=10.0.0.2:80", "TCP:8080=10.0.0.2:80", ":8080=10.0.0.2",
                             "tcp :8080=10.0.0.2", "127.0.0.1:8080=10.0.0.2:80"})
        EXPECT_NE(error_of(text, kIn).find("the protocol must be tcp or udp"), std::string::npos)
            << text;
}

TEST(ForwardSpec, ExactlyOneEquals) {
    for (const char* text : {"tcp:8080", "tcp:8080:10.0.0.2:80", "tcp:8080=10.0.0.2=80",
                             "tcp:8080==10.0.0.2", "tcp:=="})
        for (const auto direction : {kIn, kOut})
            EXPECT_NE(error_of(text, direction).find("expected one '='"), std::string::npos)
                << text;
}

TEST(ForwardSpec, BadAddresses) {
    EXPECT_EQ(error_of("tcp:127.0.0.256:8080=10.0.0.2", kIn),
              "forward 'tcp:127.0.0.256:8080=10.0.0.2': listening side: bad IPv4 address "
              "'127.0.0.256'");
    EXPECT_EQ(error_of("tcp:8080=10.0.2:80", kIn),
              "forward 'tcp:8080=10.0.2:80': target: bad IPv4 address '10.0.2'");
    EXPECT_EQ(error_of("tcp:10.0.0.1:80=localhost:80", kOut),
              "expose 'tcp:10.0.0.1:80=localhost:80': target: bad IPv4 address 'localhost'");
    for (const char* text : {"tcp:8080=10.0.0.2.5", "tcp:8080=10..0.2", "tcp:1.2.3.4.5:80=10.0.0.2",
                             "tcp:8080=10.0.0.2.:80", "tcp:8080=-1.0.0.2:80"})
        EXPECT_NE(error_of(text, kIn).find("bad IPv4 address"), std::string::npos) << text;
}

TEST(ForwardSpec, BadPorts) {
    EXPECT_EQ(error_of("tcp:0=10.0.0.2", kIn),
              "forward 'tcp:0=10.0.0.2': listening side: bad port '0' (1-65535)");
    EXPECT_EQ(error_of("tcp:65536=10.0.0.2", kIn),
              "forward 'tcp:65536=10.0.0.2': listening side: bad port '65536' (1-65535)");
    EXPECT_EQ(error_of("tcp:8080=10.0.0.2:0", kIn),
              "forward 'tcp:8080=10.0.0.2:0': target: bad port '0' (1-65535)");
    EXPECT_EQ(error_of("tcp:10.0.0.1:80=65536", kOut),
              "expose 'tcp:10.0.0.1:80=65536': target: bad port '65536' (1-65535)");
    for (const char* text :
         {"tcp:http=10.0.0.2", "tcp:+80=10.0.0.2", "tcp: 80=10.0.0.2", "tcp:80 =10.0.0.2",
          "tcp:0x50=10.0.0.2", "tcp:4294967377=10.0.0.2", "tcp:99999999999999999999=10.0.0.2",
          "tcp:8080=10.0.0.2:-1", "tcp:8080=10.0.0.2:8o"})
        EXPECT_NE(error_of(text, kIn).find("bad port"), std::string::npos) << text;
    EXPECT_EQ(parsed("tcp:65535=10.0.0.2:1", kIn).host_port, 65535);
}

TEST(ForwardSpec, BadRanges) {
    EXPECT_EQ(error_of("tcp:9010-9000=10.0.0.2", kIn),
              "forward 'tcp:9010-9000=10.0.0.2': listening side: bad port range '9010-9000': "
              "last before first");
    EXPECT_NE(error_of("tcp:8080=10.0.0.2:90-80", kIn).find("target: bad port range '90-80'"),
              std::string::npos);
    for (const char* text : {"tcp:9000-=10.0.0.2", "tcp:-9000=10.0.0.2", "tcp:1-2-3=10.0.0.2",
                             "tcp:9000-0=10.0.0.2", "tcp:9000-65536=10.0.0.2", "tcp:-=10.0.0.2"})
        EXPECT_NE(error_of(text, kIn).find("bad port"), std::string::npos) << text;
}

TEST(ForwardSpec, MismatchedRangeLengthsAreRefused) {
    EXPECT_EQ(error_of("tcp:9000-9010=10.0.0.2:7000-7005", kIn),
              "forward 'tcp:9000-9010=10.0.0.2:7000-7005': the target's port range has 6 ports, "
              "the listening side's 11");
    // A range onto one port, and one port onto a range.
    EXPECT_NE(error_of("tcp:9000-9001=10.0.0.2:80", kIn).find("has 1 ports"), std::string::npos);
    EXPECT_NE(error_of("tcp:80=10.0.0.2:9000-9001", kIn).find("has 2 ports"), std::string::npos);
    EXPECT_NE(error_of("tcp:10.0.0.1:80-81=9000-9002", kOut).find("port range has 3 ports"),
              std::string::npos);
}

TEST(ForwardSpec, EmptySides) {
    EXPECT_EQ(error_of("tcp:=10.0.0.2:80", kIn),
              "forward 'tcp:=10.0.0.2:80': listening side: an empty side");
    EXPECT_EQ(error_of("tcp:8080=", kIn), "forward 'tcp:8080=': target: an empty side");
    EXPECT_EQ(error_of("tcp:10.0.0.1:80=", kOut),
              "expose 'tcp:10.0.0.1:80=': target: an empty side");
    EXPECT_EQ(error_of("udp:=", kOut), "expose 'udp:=': listening side: an empty side");
}

TEST(ForwardSpec, NoPortAfterAColon) {
    EXPECT_EQ(error_of("tcp:127.0.0.1:=10.0.0.2", kIn),
              "forward 'tcp:127.0.0.1:=10.0.0.2': listening side: no port after ':' in "
              "'127.0.0.1:'");
    EXPECT_NE(error_of("tcp:8080=10.0.0.2:", kIn).find("target: no port after ':'"),
              std::string::npos);
}

TEST(ForwardSpec, NoEmptyAddressBeforeAColon) {
    // Leaving the host address out is leaving out "ADDR:" as a whole.
    EXPECT_EQ(error_of("tcp::8080=10.0.0.2", kIn),
              "forward 'tcp::8080=10.0.0.2': listening side: no address before ':' in ':8080'");
    EXPECT_EQ(error_of("tcp:10.0.0.1:80=:8080", kOut),
              "expose 'tcp:10.0.0.1:80=:8080': target: no address before ':' in ':8080'");
    EXPECT_NE(error_of("tcp:8080=:80", kIn).find("target: no address before ':'"),
              std::string::npos);
    EXPECT_NE(error_of("tcp::80=8080", kOut).find("listening side: no address before ':'"),
              std::string::npos);
    EXPECT_NE(error_of("tcp::=10.0.0.2", kIn).find("no address before ':'"), std::string::npos);
}

TEST(ForwardSpec, TheVirtualAddressIsRequired) {
    EXPECT_EQ(error_of("tcp:8080=80", kIn),
              "forward 'tcp:8080=80': the target needs the virtual address (10.0.0.2:80)");
    EXPECT_EQ(error_of("tcp:127.0.0.1:8080=9000", kIn),
              "forward 'tcp:127.0.0.1:8080=9000': the target needs the virtual address "
              "(10.0.0.2:80)");
    EXPECT_EQ(error_of("tcp:5432=127.0.0.1:5432", kOut),
              "expose 'tcp:5432=127.0.0.1:5432': the listening side needs the virtual address "
              "(10.0.0.1:5432, or 0.0.0.0 for every address of the daemon)");
}

TEST(ForwardSpec, TheListeningSideNeedsAPort) {
    EXPECT_EQ(error_of("tcp:127.0.0.1=10.0.0.2:80", kIn),
              "forward 'tcp:127.0.0.1=10.0.0.2:80': the listening side needs a port");
    EXPECT_EQ(error_of("tcp:10.0.0.1=127.0.0.1:80", kOut),
              "expose 'tcp:10.0.0.1=127.0.0.1:80': the listening side needs a port");
}

TEST(ForwardSpec, InboundTargetMustBeOneVirtualAddress) {
    EXPECT_EQ(error_of("tcp:8080=0.0.0.0:80", kIn),
              "forward 'tcp:8080=0.0.0.0:80': the virtual target must be one address, not "
              "0.0.0.0");
    EXPECT_EQ(error_of("tcp:8080=255.255.255.255:80", kIn),
              "forward 'tcp:8080=255.255.255.255:80': the virtual target must be one address, "
              "not 255.255.255.255");
    EXPECT_NE(error_of("udp:8080=0.0.0.0", kIn).find("virtual target must be one address"),
              std::string::npos);
}

TEST(ForwardSpec, OutboundTargetMustBeOneHostAddress) {
    EXPECT_EQ(error_of("tcp:10.0.0.1:80=0.0.0.0:8080", kOut),
              "expose 'tcp:10.0.0.1:80=0.0.0.0:8080': the host target must be one address, not "
              "0.0.0.0");
    EXPECT_EQ(error_of("tcp:10.0.0.1:80=255.255.255.255", kOut),
              "expose 'tcp:10.0.0.1:80=255.255.255.255': the host target must be one address, "
              "not 255.255.255.255");
}

TEST(ForwardSpec, TheSameTextMeansSomethingElseTheOtherWay) {
    // Inbound reads the left side as the host's; outbound as the daemon's.
    const auto in = parsed("tcp:10.0.0.1:80=10.0.0.2:8080", kIn);
    const auto out = parsed("tcp:10.0.0.1:80=10.0.0.2:8080", kOut);
    EXPECT_EQ(in.host_address, ip("10.0.0.1"));
    EXPECT_EQ(in.virtual_address, ip("10.0.0.2"));
    EXPECT_EQ(out.virtual_address, ip("10.0.0.1"));
    EXPECT_EQ(out.host_address, ip("10.0.0.2"));
    EXPECT_EQ(in.listen(0), out.listen(0));
    EXPECT_EQ(in.target(0), out.target(0));
    EXPECT_NE(in, out);
    EXPECT_EQ(in.to_string(), out.to_string());
    EXPECT_NE(in.name(), out.name());
}

// --- Canonical text ----------------------------------------------------------------------

TEST(ForwardSpec, ToStringParsesBackToTheSameSpec) {
    const std::vector<std::pair<const char*, Direction>> specs = {
        {"tcp:8080=10.0.0.2", kIn},
        {"tcp:8080=10.0.0.2:80", kIn},
        {"tcp:0.0.0.0:8080=10.0.0.2:80", kIn},
        {"tcp:192.168.1.1:1=10.0.0.2:65535", kIn},
        {"tcp:9000-9010=10.0.0.2:9000-9010", kIn},
        {"tcp:9000-9002=10.0.0.2:7000-7002", kIn},
        {"tcp:1-65535=10.0.0.2", kIn},
        {"udp:5353=10.0.0.2:53", kIn},
        {"udp:0.0.0.0:6000-6099=10.1.2.3:16000-16099", kIn},
        {"tcp:10.0.0.1:5432=127.0.0.1:5432", kOut},
        {"tcp:10.0.0.1:5432=5432", kOut},
        {"tcp:0.0.0.0:80=8080", kOut},
        {"tcp:10.0.0.1:9000-9002=7000-7002", kOut},
        {"tcp:10.0.0.1:9000-9002=192.168.0.9", kOut},
        {"udp:10.0.0.1:53=8.8.8.8", kOut},
        {"udp:255.255.255.255:67=127.0.0.1:6767", kOut},
    };
    for (const auto& [text, direction] : specs) {
        const auto spec = parsed(text, direction);
        const auto canonical = spec.to_string();
        auto back = parse_forward(canonical, direction);
        ASSERT_TRUE(back) << text << " → " << canonical << ": " << back.error();
        EXPECT_EQ(*back, spec) << text << " → " << canonical;
        EXPECT_EQ(back->to_string(), canonical) << text;
        EXPECT_EQ(spec.name(), std::string(direction_name(direction)) + " " + canonical);
    }
}

TEST(ForwardSpec, CanonicalTextSpellsEverythingOut) {
    EXPECT_EQ(parsed("tcp:8080=10.0.0.2", kIn).to_string(), "tcp:127.0.0.1:8080=10.0.0.2:8080");
    EXPECT_EQ(parsed("tcp:10.0.0.1:9000-9002=7000-7002", kOut).to_string(),
              "tcp:10.0.0.1:9000-9002=127.0.0.1:7000-7002");
    EXPECT_EQ(make(kIn, Protocol::udp, "0.0.0.0", 100, "10.0.0.9", 200, 2).to_string(),
              "udp:0.0.0.0:100-101=10.0.0.9:200-201");
    // The limits are not part of the text.
    auto limited = parsed("udp:5353=10.0.0.2:53", kIn);
    limited.max_connections = 7;
    limited.udp_timeout_ms = 500;
    EXPECT_EQ(limited.to_string(), "udp:127.0.0.1:5353=10.0.0.2:53");
}

TEST(ForwardSpec, Names) {
    EXPECT_STREQ(direction_name(kIn), "forward");
    EXPECT_STREQ(direction_name(kOut), "expose");
    EXPECT_STREQ(protocol_name(Protocol::tcp), "tcp");
    EXPECT_STREQ(protocol_name(Protocol::udp), "udp");
}

// --- Limits ------------------------------------------------------------------------------

TEST(ForwardSpec, CheckLimitsBounds) {
    auto s = parsed("udp:5353=10.0.0.2:53", kIn);
    EXPECT_EQ(check_limits(s), "");
    s.max_connections = 0;
    EXPECT_EQ(check_limits(s), "max_connections must be at least 1");
    s.max_connections = 1;
    EXPECT_EQ(check_limits(s), "");
    s.max_connections = 1'000'000;
    EXPECT_EQ(check_limits(s), "");
    s.max_connections = 1'000'001;
    EXPECT_EQ(check_limits(s), "max_connections is at most 1000000");
    s.max_connections = default_max_connections;
    s.udp_timeout_ms = 99;
    EXPECT_EQ(check_limits(s), "udp_timeout_ms must be 100 to 86400000");
    s.udp_timeout_ms = 100;
    EXPECT_EQ(check_limits(s), "");
    s.udp_timeout_ms = 86'400'000;
    EXPECT_EQ(check_limits(s), "");
    s.udp_timeout_ms = 86'400'001;
    EXPECT_EQ(check_limits(s), "udp_timeout_ms must be 100 to 86400000");
    s.udp_timeout_ms = 0;
    EXPECT_NE(check_limits(s), "");
}

// --- Overlaps ----------------------------------------------------------------------------

bool overlap(const char* a, Direction da, const char* b, Direction db) {
    const auto x = parsed(a, da), y = parsed(b, db);
    EXPECT_EQ(overlaps(x, y), overlaps(y, x)) << a << " / " << b;  // symmetric
    return overlaps(x, y);
}

TEST(ForwardSpec, OverlapsTheSamePort) {
    EXPECT_TRUE(overlap("tcp:8080=10.0.0.2:80", kIn, "tcp:8080=10.0.0.2:80", kIn));
    // The target does not matter: both would listen on 127.0.0.1:8080.
    EXPECT_TRUE(overlap("tcp:8080=10.0.0.2:80", kIn, "tcp:127.0.0.1:8080=10.0.0.3:443", kIn));
    EXPECT_TRUE(overlap("tcp:10.0.0.1:80=8080", kOut, "tcp:10.0.0.1:80=192.168.0.1:80", kOut));
    // Each spec overlaps itself.
    const auto s = parsed("udp:0.0.0.0:6000-6010=10.0.0.2", kIn);
    EXPECT_TRUE(overlaps(s, s));
}

TEST(ForwardSpec, DifferentDirectionOrProtocolDoNotOverlap) {
    EXPECT_FALSE(overlap("tcp:8080=10.0.0.2:80", kIn, "udp:8080=10.0.0.2:80", kIn));
    EXPECT_FALSE(overlap("tcp:10.0.0.1:80=8080", kOut, "udp:10.0.0.1:80=8080", kOut));
    // The host's port and the daemon's are different sides, even with the same numbers.
    EXPECT_FALSE(
        overlap("tcp:127.0.0.1:80=10.0.0.1:80", kIn, "tcp:10.0.0.1:80=127.0.0.1:80", kOut));
    EXPECT_FALSE(overlap("tcp:0.0.0.0:80=10.0.0.1:80", kIn, "tcp:0.0.0.0:80=80", kOut));
}

TEST(ForwardSpec, DifferentAddressesDoNotOverlapButWildcardsDo) {
    EXPECT_FALSE(overlap("tcp:127.0.0.1:8080=10.0.0.2", kIn, "tcp:192.168.0.1:8080=10.0.0.2", kIn));
    EXPECT_TRUE(overlap("tcp:0.0.0.0:8080=10.0.0.2", kIn, "tcp:192.168.0.1:8080=10.0.0.2", kIn));
    EXPECT_TRUE(overlap("tcp:127.0.0.1:8080=10.0.0.2", kIn, "tcp:0.0.0.0:8080=10.0.0.3", kIn));
    EXPECT_TRUE(overlap("tcp:0.0.0.0:8080=10.0.0.2", kIn, "tcp:0.0.0.0:8080=10.0.0.3", kIn));
    EXPECT_FALSE(overlap("tcp:10.0.0.1:80=8080", kOut, "tcp:10.0.0.2:80=8080", kOut));
    EXPECT_TRUE(overlap("tcp:0.0.0.0:80=8080", kOut, "tcp:10.0.0.2:80=8081", kOut));
    // A wildcard on a different port still does not overlap.
    EXPECT_FALSE(overlap("tcp:0.0.0.0:8080=10.0.0.2", kIn, "tcp:8081=10.0.0.2", kIn));
}

TEST(ForwardSpec, OverlappingRanges) {
    const char* range = "tcp:9000-9010=10.0.0.2";
    EXPECT_TRUE(overlap(range, kIn, "tcp:9005=10.0.0.2", kIn));        // inside
    EXPECT_TRUE(overlap(range, kIn, "tcp:9000=10.0.0.2", kIn));        // first
    EXPECT_TRUE(overlap(range, kIn, "tcp:9010=10.0.0.2", kIn));        // last
    EXPECT_TRUE(overlap(range, kIn, "tcp:8990-9000=10.0.0.2", kIn));   // tail onto head
    EXPECT_TRUE(overlap(range, kIn, "tcp:9010-9020=10.0.0.2", kIn));   // head onto tail
    EXPECT_TRUE(overlap(range, kIn, "tcp:8000-10000=10.0.0.2", kIn));  // around
    EXPECT_TRUE(overlap(range, kIn, "tcp:1-65535=10.0.0.2", kIn));
    // Targets differ, listening ports overlap.
    EXPECT_TRUE(overlap(range, kIn, "tcp:9002-9003=10.0.0.9:1-2", kIn));
}

TEST(ForwardSpec, AdjacentRangesDoNotOverlap) {
    const char* range = "tcp:9000-9010=10.0.0.2";
    EXPECT_FALSE(overlap(range, kIn, "tcp:8999=10.0.0.2", kIn));
    EXPECT_FALSE(overlap(range, kIn, "tcp:9011=10.0.0.2", kIn));
    EXPECT_FALSE(overlap(range, kIn, "tcp:8990-8999=10.0.0.2", kIn));
    EXPECT_FALSE(overlap(range, kIn, "tcp:9011-9020=10.0.0.2", kIn));
    EXPECT_FALSE(overlap("tcp:1-32767=10.0.0.2", kIn, "tcp:32768-65535=10.0.0.2", kIn));
    EXPECT_TRUE(overlap("tcp:1-32768=10.0.0.2", kIn, "tcp:32768-65535=10.0.0.2", kIn));
    EXPECT_FALSE(
        overlap("tcp:10.0.0.1:100-199=1100-1199", kOut, "tcp:0.0.0.0:200-299=2200-2299", kOut));
    EXPECT_TRUE(
        overlap("tcp:10.0.0.1:100-200=1100-1200", kOut, "tcp:0.0.0.0:200-299=2200-2299", kOut));
}

TEST(ForwardSpec, OverlapAtTheTopOfThePortRange) {
    // The last port, 65535, counted without wrapping around to 0.
    EXPECT_TRUE(overlap("tcp:65535=10.0.0.2", kIn, "tcp:65000-65535=10.0.0.2", kIn));
    EXPECT_FALSE(overlap("tcp:1=10.0.0.2", kIn, "tcp:65000-65535=10.0.0.2", kIn));
}

}  // namespace
}  // namespace shmifd::forward
