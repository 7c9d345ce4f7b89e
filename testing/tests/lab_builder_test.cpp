// LabBuilder's text is a topology shmiflab reads as meant (its own parser), strings escaped;
// a file's [lab] name is replaced by the test's own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <toml++/toml.h>

#include "lab_name.hpp"
#include "shmif/testing/lab.hpp"
#include "topology.hpp"

namespace shmif::testing::test {
namespace {

using detail::lab_name_of;
using detail::unique_lab_name;
using detail::with_lab_name;

TEST(LabBuilder, EveryFieldReachesTheTopology) {
    LabBuilder lab("all");
    lab.bus({.name = "lan1"})
        .bus({.name = "core", .format = "netbsd", .size = "4M"})
        .node({.name = "r1",
               .workers = 2,
               .forwarding = true,
               .services = {"http", "echo:7/udp"},
               .forward = {"tcp:18080=10.0.1.1:80"},
               .interfaces = {{.bus = "lan1", .addresses = {"10.0.1.1/24"}, .mtu = 1400},
                              {.bus = "core", .addresses = {"10.0.2.1/24", "10.0.2.11/24"}}},
               .routes = {{.dst = "default", .via = "10.0.2.2"}}})
        .host("h", "core", "10.0.2.2/24")
        .link({.a = "lan1", .b = "core", .both = "delay 5ms", .b_to_a = "loss 1%", .seed = 7})
        .capture({.bus = "core", .format = "pcapng", .filter = "icmp or arp"});

    const auto parsed = shmiflab::parse_topology(lab.toml(), "built.toml", "x");
    ASSERT_TRUE(parsed) << parsed.error() << "\n" << lab.toml();
    EXPECT_EQ(parsed->name, "all");
    ASSERT_EQ(parsed->buses.size(), 2u);
    EXPECT_EQ(parsed->buses[1].format, shmif::Format::netbsd);
    EXPECT_EQ(parsed->buses[1].size, 4u << 20);
    ASSERT_EQ(parsed->nodes.size(), 2u);
    const auto& r1 = parsed->nodes[0];
    EXPECT_EQ(r1.workers, 2u);
    EXPECT_TRUE(r1.forwarding);
    ASSERT_EQ(r1.interfaces.size(), 2u);
    EXPECT_EQ(r1.interfaces[0].mtu, 1400u);
    EXPECT_EQ(r1.interfaces[1].addresses.size(), 2u);
    ASSERT_EQ(r1.routes.size(), 1u);
    EXPECT_EQ(r1.routes[0].via.to_string(), "10.0.2.2");
    EXPECT_EQ(r1.services.size(), 2u);
    EXPECT_EQ(r1.forwards.size(), 1u);
    EXPECT_EQ(parsed->nodes[1].name, "h");
    EXPECT_EQ(parsed->nodes[1].workers, 1u);  // left to the default
    ASSERT_EQ(parsed->links.size(), 1u);
    EXPECT_EQ(parsed->links[0].a_to_b, "delay 5ms");
    EXPECT_EQ(parsed->links[0].b_to_a, "loss 1%");
    EXPECT_EQ(parsed->links[0].seed, 7u);
    ASSERT_EQ(parsed->captures.size(), 1u);
    EXPECT_EQ(parsed->captures[0].format, shmiflab::CaptureFormat::pcapng);
    EXPECT_EQ(parsed->captures[0].filter, "icmp or arp");
    EXPECT_EQ(parsed->captures[0].file, "core.pcapng");

    // Another name for the same lab.
    EXPECT_EQ(shmiflab::parse_topology(lab.toml("other"), "b.toml", "x")->name, "other");
}

TEST(LabBuilder, StringsAreEscaped) {
    EXPECT_EQ(toml_string("plain"), "\"plain\"");
    EXPECT_EQ(toml_string("a\"b\\c\nd\te\x01"), R"("a\"b\\c\nd\te\u0001")");
    const std::string nasty = "host \"x\" \\ and\nnot [lab] \x7f é";
    LabBuilder lab("esc");
    lab.bus({.name = "lan"})
        .host("a", "lan", "10.0.0.1/24")
        .capture({.bus = "lan", .filter = nasty});
    const auto table = toml::parse(lab.toml());
    EXPECT_EQ(table["capture"][0]["filter"].value<std::string>(), nasty);
}

TEST(LabName, UniqueShortAndUsable) {
    const auto a = unique_lab_name("two-hosts");
    const auto b = unique_lab_name("two-hosts");
    EXPECT_NE(a, b);
    EXPECT_TRUE(a.starts_with("two-hosts-" + std::to_string(::getpid()) + "-")) << a;
    const auto long_name = unique_lab_name(std::string(40, 'x') + "/bad name");
    EXPECT_LE(long_name.size(), 32u);
    EXPECT_TRUE(shmiflab::valid_name(long_name)) << long_name;
    EXPECT_TRUE(shmiflab::valid_name(unique_lab_name("-dash")));
    EXPECT_TRUE(shmiflab::valid_name(unique_lab_name("")));
}

TEST(LabName, FileNameIsReplaced) {
    const std::string text =
        "# a lab\n[lab]   # the lab\nname = \"two-hosts\"  # its name\n\n[[bus]]\nname = \"lan\"\n";
    EXPECT_EQ(lab_name_of(text), "two-hosts");
    const auto renamed = with_lab_name(text, "t-1-2");
    EXPECT_EQ(lab_name_of(renamed), "t-1-2");
    const auto parsed = toml::parse(renamed);
    EXPECT_EQ(parsed["lab"]["name"].value<std::string>(), "t-1-2");
    EXPECT_EQ(parsed["bus"][0]["name"].value<std::string>(), "lan");  // other names untouched

    // No [lab] at all, or one without a name.
    const std::string bare = "[[bus]]\nname = \"lan\"";
    EXPECT_EQ(lab_name_of(bare), std::nullopt);
    EXPECT_EQ(toml::parse(with_lab_name(bare, "n"))["lab"]["name"].value<std::string>(), "n");
    const std::string empty_lab = "[lab]\n[[bus]]\nname = \"lan\"\n";
    const auto filled = toml::parse(with_lab_name(empty_lab, "n"));
    EXPECT_EQ(filled["lab"]["name"].value<std::string>(), "n");
    EXPECT_EQ(filled["bus"][0]["name"].value<std::string>(), "lan");
}

}  // namespace
}  // namespace shmif::testing::test
