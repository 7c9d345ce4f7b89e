// [[forward]] and [[expose]] tables, --forward/--expose over them, and config save: what
// they accept, the errors (with the line), and the TOML written back.
#include <gtest/gtest.h>

#include <string>

#include "config.hpp"
#include "config_json.hpp"
#include "config_toml_writer.hpp"
#include "defaults.hpp"

namespace shmifd {
namespace {

using forward::Direction;
using forward::ForwardSpec;
using forward::Protocol;

std::string error_of(const std::string& text) {
    try {
        parse_config(text, "test.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

ForwardSpec spec_of(const std::string& text, Direction direction) {
    auto spec = forward::parse_forward(text, direction);
    EXPECT_TRUE(spec.has_value()) << text << ": " << spec.error();
    return spec.value_or(ForwardSpec{});
}

TEST(ForwardConfig, TablesWithSpecsAndLimits) {
    const auto c = parse_config(R"(
[[forward]]
spec = "tcp:8080=10.0.0.2:80"

[[forward]]
spec = "udp:0.0.0.0:5353=10.0.0.2:53"
max_connections = 16
udp_timeout_ms = 1500

[[forward]]
spec = "tcp:9000-9010=10.0.0.2:7000-7010"
max_connections = 1

[[expose]]
spec = "tcp:10.0.0.1:5432=127.0.0.1:5432"
max_connections = 1000000

[[expose]]
spec = "udp:0.0.0.0:53=8.8.8.8"
udp_timeout_ms = 86400000
)",
                                "test.toml");
    ASSERT_EQ(c.forwards.size(), 5u);

    auto want = spec_of("tcp:127.0.0.1:8080=10.0.0.2:80", Direction::inbound);
    EXPECT_EQ(c.forwards[0], want);
    EXPECT_EQ(c.forwards[0].max_connections, forward::default_max_connections);
    EXPECT_EQ(c.forwards[0].udp_timeout_ms, forward::default_udp_timeout_ms);

    want = spec_of("udp:0.0.0.0:5353=10.0.0.2:53", Direction::inbound);
    want.max_connections = 16;
    want.udp_timeout_ms = 1500;
    EXPECT_EQ(c.forwards[1], want);

    want = spec_of("tcp:9000-9010=10.0.0.2:7000-7010", Direction::inbound);
    want.max_connections = 1;
    EXPECT_EQ(c.forwards[2], want);
    EXPECT_EQ(c.forwards[2].count, 11);

    want = spec_of("tcp:10.0.0.1:5432=5432", Direction::outbound);
    want.max_connections = 1'000'000;
    EXPECT_EQ(c.forwards[3], want);
    EXPECT_EQ(c.forwards[3].direction, Direction::outbound);

    want = spec_of("udp:0.0.0.0:53=8.8.8.8:53", Direction::outbound);
    want.udp_timeout_ms = 86'400'000;
    EXPECT_EQ(c.forwards[4], want);

    for (const auto& f : c.forwards)
        EXPECT_EQ(forward::check_limits(f), "") << f.name();
}

TEST(ForwardConfig, JsonHasTheFilesShape) {
    const auto c = parse_config(R"(
[[forward]]
spec = "tcp:8080=10.0.0.2"
max_connections = 3

[[expose]]
spec = "udp:10.0.0.1:53=53"
udp_timeout_ms = 2000
)",
                                "test.toml");
    const auto j = to_json(c);
    ASSERT_EQ(j["forward"].size(), 1u);
    EXPECT_EQ(j["forward"][0], (nlohmann::json{{"spec", "tcp:127.0.0.1:8080=10.0.0.2:8080"},
                                               {"max_connections", 3}}));
    ASSERT_EQ(j["expose"].size(), 1u);
    EXPECT_EQ(j["expose"][0], (nlohmann::json{{"spec", "udp:10.0.0.1:53=127.0.0.1:53"},
                                              {"max_connections", 4096},
                                              {"udp_timeout_ms", 2000}}));
    // No forwards: no keys.
    const auto none = to_json(parse_config("", "test.toml"));
    EXPECT_FALSE(none.contains("forward"));
    EXPECT_FALSE(none.contains("expose"));
}

TEST(ForwardConfig, ForwardsComeBeforeExposesWhateverTheFileOrder) {
    const auto c = parse_config(R"(
[[expose]]
spec = "tcp:10.0.0.1:80=8080"

[[forward]]
spec = "tcp:8080=10.0.0.2:80"

[[expose]]
spec = "tcp:10.0.0.1:443=8443"
)",
                                "test.toml");
    ASSERT_EQ(c.forwards.size(), 3u);
    EXPECT_EQ(c.forwards[0].name(), "forward tcp:127.0.0.1:8080=10.0.0.2:80");
    EXPECT_EQ(c.forwards[1].name(), "expose tcp:10.0.0.1:80=127.0.0.1:8080");
    EXPECT_EQ(c.forwards[2].name(), "expose tcp:10.0.0.1:443=127.0.0.1:8443");
}

TEST(ForwardConfig, ErrorsNameTheFileAndLine) {
    EXPECT_EQ(error_of("\n[[forward]]\nmax_connections = 5\n"),
              "test.toml:2: forward: spec is required (tcp:127.0.0.1:8080=10.0.0.2:80)");
    EXPECT_EQ(error_of("[[expose]]\n"),
              "test.toml:1: expose: spec is required (tcp:10.0.0.1:5432=127.0.0.1:5432)");
    EXPECT_EQ(error_of("[[forward]]\n\nspec = \"tcp:8080=0.0.0.0:80\"\n"),
              "test.toml:3: forward 'tcp:8080=0.0.0.0:80': the virtual target must be one "
              "address, not 0.0.0.0");
    EXPECT_EQ(error_of("[[expose]]\nspec = \"tcp:5432=127.0.0.1:5432\"\n"),
              "test.toml:2: expose 'tcp:5432=127.0.0.1:5432': the listening side needs the "
              "virtual address (10.0.0.1:5432, or 0.0.0.0 for every address of the daemon)");
    EXPECT_EQ(error_of("[[forward]]\nspec = \"sctp:80=10.0.0.2\"\n"),
              "test.toml:2: forward 'sctp:80=10.0.0.2': the protocol must be tcp or udp, not "
              "'sctp'");
    EXPECT_EQ(error_of("[[forward]]\nspec = 8080\n"), "test.toml:2: forward.spec must be a string");
    EXPECT_EQ(error_of("[[forward]]\nspec = \"tcp:8080=10.0.0.2\"\nmax_connections = 0\n"),
              "test.toml:3: forward.max_connections must be in 1..1000000, not 0");
    EXPECT_EQ(error_of("[[expose]]\nspec = \"tcp:10.0.0.1:80=80\"\nmax_connections = 1000001\n"),
              "test.toml:3: expose.max_connections must be in 1..1000000, not 1000001");
    EXPECT_EQ(error_of("[[forward]]\nspec = \"tcp:8080=10.0.0.2\"\nmax_connections = \"many\"\n"),
              "test.toml:3: forward.max_connections must be an integer");
    EXPECT_EQ(error_of("[[expose]]\nspec = \"udp:10.0.0.1:53=53\"\nudp_timeout_ms = 99\n"),
              "test.toml:3: expose.udp_timeout_ms must be in 100..86400000, not 99");
    EXPECT_EQ(error_of("[[forward]]\nspec = \"tcp:80=10.0.0.1\"\nudp_timeout_ms = 1000\n"),
              "test.toml:3: forward: udp_timeout_ms is for udp forwards");
    EXPECT_EQ(error_of("[[forward]]\nspec = \"tcp:8080=10.0.0.2\"\ntarget = \"10.0.0.3\"\n"),
              "test.toml:3: unknown key forward.target");
    EXPECT_EQ(error_of("[[expose]]\nspec = \"tcp:10.0.0.1:80=80\"\n\nproto = \"tcp\"\n"),
              "test.toml:4: unknown key expose.proto");
    EXPECT_EQ(error_of("forward = [\"tcp:8080=10.0.0.2\"]\n"),
              "test.toml:1: forward entries must be tables ([[forward]])");
}

TEST(ForwardConfig, OverlappingForwardsAreRefused) {
    EXPECT_EQ(error_of(R"([[forward]]
spec = "tcp:8080=10.0.0.2:80"

[[forward]]
spec = "tcp:127.0.0.1:8080=10.0.0.3"
)"),
              "test.toml:4: forward tcp:127.0.0.1:8080=10.0.0.3:8080: its ports overlap forward "
              "tcp:127.0.0.1:8080=10.0.0.2:80");
    // A range and a wildcard.
    EXPECT_EQ(error_of(R"(
[[forward]]
spec = "tcp:9000-9010=10.0.0.2"

[[forward]]
spec = "tcp:8000=10.0.0.2"

[[forward]]
spec = "tcp:0.0.0.0:9010-9020=10.0.0.3"
)"),
              "test.toml:8: forward tcp:0.0.0.0:9010-9020=10.0.0.3:9010-9020: its ports overlap "
              "forward tcp:127.0.0.1:9000-9010=10.0.0.2:9000-9010");
    EXPECT_EQ(error_of(R"([[expose]]
spec = "udp:0.0.0.0:53=53"

[[expose]]
spec = "udp:10.0.0.1:53=5353"
)"),
              "test.toml:4: expose udp:10.0.0.1:53=127.0.0.1:5353: its ports overlap expose "
              "udp:0.0.0.0:53=127.0.0.1:53");
}

TEST(ForwardConfig, WhatDoesNotOverlapIsAccepted) {
    const auto c = parse_config(R"(
[[forward]]
spec = "tcp:9000-9010=10.0.0.2"

[[forward]]
spec = "tcp:9011-9020=10.0.0.2"

[[forward]]
spec = "udp:9000-9010=10.0.0.2"

[[forward]]
spec = "tcp:192.168.0.1:9000=10.0.0.2"

[[expose]]
spec = "tcp:0.0.0.0:9000-9010=9000-9010"
)",
                                "test.toml");
    EXPECT_EQ(c.forwards.size(), 5u);
}

TEST(ForwardConfig, CommandLineForwardsAddAndReplaceOverlappingOnes) {
    auto c = parse_config(R"(
[[forward]]
spec = "tcp:8080=10.0.0.2:80"

[[forward]]
spec = "tcp:9000-9010=10.0.0.2"
max_connections = 5

[[expose]]
spec = "tcp:10.0.0.1:5432=5432"
)",
                          "test.toml");
    CommandLineOverrides o;
    o.forwards = {spec_of("tcp:0.0.0.0:9005=10.0.0.9", Direction::inbound),
                  spec_of("tcp:10.0.0.1:5432=6000", Direction::outbound),
                  spec_of("udp:8080=10.0.0.2", Direction::inbound),
                  // The same port on the other side: replaces nothing.
                  spec_of("tcp:10.0.0.1:8080=8080", Direction::outbound)};
    apply_overrides(c, o);
    ASSERT_EQ(c.forwards.size(), 5u);
    EXPECT_EQ(c.forwards[0], spec_of("tcp:8080=10.0.0.2:80", Direction::inbound));
    EXPECT_EQ(c.forwards[1], o.forwards[0]);
    EXPECT_EQ(c.forwards[1].max_connections, forward::default_max_connections);
    EXPECT_EQ(c.forwards[2], o.forwards[1]);
    EXPECT_EQ(c.forwards[3], o.forwards[2]);
    EXPECT_EQ(c.forwards[4], o.forwards[3]);
    // No two overlap afterwards.
    for (std::size_t i = 0; i < c.forwards.size(); ++i)
        for (std::size_t j = i + 1; j < c.forwards.size(); ++j)
            EXPECT_FALSE(forward::overlaps(c.forwards[i], c.forwards[j]))
                << c.forwards[i].name() << " / " << c.forwards[j].name();
}

TEST(ForwardConfig, ACommandLineForwardReplacesSeveral) {
    auto c = parse_config(R"(
[[forward]]
spec = "tcp:8080=10.0.0.2"

[[forward]]
spec = "tcp:8081=10.0.0.2"

[[forward]]
spec = "tcp:192.168.0.1:8082=10.0.0.2"

[[forward]]
spec = "tcp:9000=10.0.0.2"
)",
                          "test.toml");
    CommandLineOverrides o;
    o.forwards = {spec_of("tcp:0.0.0.0:8080-8089=10.0.0.5", Direction::inbound)};
    apply_overrides(c, o);
    ASSERT_EQ(c.forwards.size(), 2u);
    EXPECT_EQ(c.forwards[0].name(), "forward tcp:127.0.0.1:9000=10.0.0.2:9000");
    EXPECT_EQ(c.forwards[1], o.forwards[0]);
}

TEST(ForwardConfig, SavedConfigReadsBackTheSame) {
    Config c = quick_config({.bus = "/tmp/fwd.bus", .addresses = {"10.0.0.1/24"}});
    auto limited = spec_of("tcp:0.0.0.0:9000-9002=10.0.0.2:7000-7002", Direction::inbound);
    limited.max_connections = 12;
    auto udp = spec_of("udp:5353=10.0.0.2:53", Direction::inbound);
    udp.udp_timeout_ms = 250;
    udp.max_connections = 1'000'000;
    auto exposed_udp = spec_of("udp:0.0.0.0:53=8.8.8.8", Direction::outbound);
    exposed_udp.udp_timeout_ms = 86'400'000;
    c.forwards = {spec_of("tcp:8080=10.0.0.2:80", Direction::inbound), limited, udp,
                  spec_of("tcp:10.0.0.1:5432=5432", Direction::outbound), exposed_udp};
    const auto text = to_toml(c);
    EXPECT_NE(text.find("[[forward]]"), std::string::npos) << text;
    EXPECT_NE(text.find("[[expose]]"), std::string::npos) << text;
    Config back;
    try {
        back = parse_config(text, "saved.toml");
    } catch (const ConfigError& e) {
        FAIL() << e.what() << "\n" << text;
    }
    EXPECT_EQ(back.forwards, c.forwards) << text;
    EXPECT_EQ(to_json(back), to_json(c)) << text;
    // And once more: the saved text is a fixed point.
    EXPECT_EQ(to_toml(back), text);
}

TEST(ForwardConfig, SavedConfigWithoutForwardsHasNoForwardTables) {
    const Config c = quick_config({.bus = "/tmp/fwd.bus", .addresses = {"10.0.0.1/24"}});
    const auto text = to_toml(c);
    EXPECT_EQ(text.find("forward]]"), std::string::npos) << text;
    EXPECT_EQ(text.find("expose"), std::string::npos) << text;
    EXPECT_TRUE(parse_config(text, "saved.toml").forwards.empty());
}

}  // namespace
}  // namespace shmifd
