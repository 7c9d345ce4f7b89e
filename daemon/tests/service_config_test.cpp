// [[service]] tables and --serve: what they accept, the errors (with the line), the JSON.
#include <gtest/gtest.h>

#include "config.hpp"
#include "config_json.hpp"
#include "defaults.hpp"

namespace shmifd {
namespace {

using services::ServiceKind;
using services::ServiceSpec;
using services::Transport;

std::string error_of(const std::string& text) {
    try {
        parse_config(text, "t.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(ServiceConfig, TablesWithDefaultsPortsAndProtos) {
    const auto c = parse_config(R"(
[[service]]
kind = "http"

[[service]]
kind = "http"
port = 8080

[[service]]
kind = "echo"

[[service]]
kind = "chargen"
proto = "udp"
)",
                                "t.toml");
    ASSERT_EQ(c.services.size(), 4u);
    EXPECT_EQ(c.services[0], (ServiceSpec{ServiceKind::http, 80, Transport::tcp}));
    EXPECT_EQ(c.services[1], (ServiceSpec{ServiceKind::http, 8080, Transport::tcp}));
    EXPECT_EQ(c.services[2], (ServiceSpec{ServiceKind::echo, 7, Transport::both}));
    EXPECT_EQ(c.services[3], (ServiceSpec{ServiceKind::chargen, 19, Transport::udp}));
    const auto j = to_json(c);
    ASSERT_EQ(j["service"].size(), 4u);
    EXPECT_EQ(j["service"][1],
              (nlohmann::json{{"kind", "http"}, {"port", 8080}, {"proto", "tcp"}}));
}

TEST(ServiceConfig, ErrorsNameTheLine) {
    EXPECT_EQ(error_of("\n[[service]]\nport = 80\n"),
              "t.toml:2: service: kind is required (echo, discard, chargen, http)");
    EXPECT_EQ(error_of("[[service]]\nkind = \"gopher\"\n"),
              "t.toml:2: service: kind must be echo, discard, chargen or http, not gopher");
    EXPECT_EQ(error_of("[[service]]\nkind = \"http\"\nport = 0\n"),
              "t.toml:3: service.port must be in 1..65535, not 0");
    EXPECT_EQ(error_of("[[service]]\nkind = \"http\"\nproto = \"udp\"\n"),
              "t.toml:1: service: http runs over tcp only");
    EXPECT_EQ(error_of("[[service]]\nkind = \"echo\"\nproto = \"sctp\"\n"),
              "t.toml:3: service: proto must be tcp, udp or both");
    EXPECT_EQ(error_of("[[service]]\nkind = \"echo\"\nname = \"x\"\n"),
              "t.toml:3: unknown key service.name");
    EXPECT_EQ(
        error_of("[[service]]\nkind = \"echo\"\n\n[[service]]\nkind = \"discard\"\nport = 7\n"),
        "t.toml:4: service discard:7: the port is already served by echo:7");
}

TEST(ServiceConfig, ServeOnTheCommandLineAddsAndReplacesByPort) {
    auto c =
        parse_config("[[service]]\nkind = \"http\"\n\n[[service]]\nkind = \"echo\"\n", "t.toml");
    CommandLineOverrides o;
    o.serve = {*services::parse_service("chargen:80"), *services::parse_service("discard")};
    apply_overrides(c, o);
    ASSERT_EQ(c.services.size(), 3u);
    EXPECT_EQ(c.services[0].kind, ServiceKind::echo);
    EXPECT_EQ(c.services[1], (ServiceSpec{ServiceKind::chargen, 80, Transport::both}));
    EXPECT_EQ(c.services[2], (ServiceSpec{ServiceKind::discard, 9, Transport::both}));
}

}  // namespace
}  // namespace shmifd
