#include "services/service_spec.hpp"

#include <gtest/gtest.h>

namespace services {
namespace {

TEST(ServiceSpec, KindAloneTakesItsWellKnownPortAndTransports) {
    EXPECT_EQ(parse_service("echo"), (ServiceSpec{ServiceKind::echo, 7, Transport::both}));
    EXPECT_EQ(parse_service("discard"), (ServiceSpec{ServiceKind::discard, 9, Transport::both}));
    EXPECT_EQ(parse_service("chargen"), (ServiceSpec{ServiceKind::chargen, 19, Transport::both}));
    EXPECT_EQ(parse_service("http"), (ServiceSpec{ServiceKind::http, 80, Transport::tcp}));
}

TEST(ServiceSpec, PortAndTransport) {
    EXPECT_EQ(parse_service("http:8080"), (ServiceSpec{ServiceKind::http, 8080, Transport::tcp}));
    EXPECT_EQ(parse_service("echo:7007/udp"),
              (ServiceSpec{ServiceKind::echo, 7007, Transport::udp}));
    EXPECT_EQ(parse_service("chargen/tcp"),
              (ServiceSpec{ServiceKind::chargen, 19, Transport::tcp}));
    EXPECT_EQ(parse_service("http:8080")->to_string(), "http:8080");
    EXPECT_EQ(parse_service("echo/udp")->to_string(), "echo:7/udp");
}

TEST(ServiceSpec, BadTextSaysWhy) {
    for (const char* bad : {"", "gopher", "http:0", "http:65536", "http:", "http:8x", "echo/sctp",
                            "http/udp", "http:80/both"}) {
        SpecError error;
        EXPECT_FALSE(parse_service(bad, &error)) << bad;
        EXPECT_FALSE(error.message.empty()) << bad;
    }
}

TEST(ServiceSpec, ConflictsOnlyOnTheSamePortAndTransport) {
    const ServiceSpec tcp7{ServiceKind::echo, 7, Transport::tcp};
    const ServiceSpec udp7{ServiceKind::discard, 7, Transport::udp};
    const ServiceSpec both7{ServiceKind::chargen, 7, Transport::both};
    EXPECT_FALSE(conflicts(tcp7, udp7));
    EXPECT_TRUE(conflicts(tcp7, both7));
    EXPECT_TRUE(conflicts(udp7, both7));
    EXPECT_FALSE(conflicts(tcp7, {ServiceKind::echo, 8, Transport::tcp}));
}

}  // namespace
}  // namespace services
