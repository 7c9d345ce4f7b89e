// shmiflab graph's DOT text (lab_graph.hpp): every part of a topology drawn, quoting that
// survives any text, and every example lab drawn by Graphviz's dot without a warning.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "lab_graph.hpp"
#include "shmifd_path.hpp"
#include "temp_dir.hpp"
#include "topology.hpp"

namespace shmiflab {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

Topology parse_ok(const std::string& text) {
    auto lab = parse_topology(text, "t.toml", "stem");
    EXPECT_TRUE(lab.has_value()) << (lab ? "" : lab.error());
    return lab ? *lab : Topology{};
}

// Two LANs joined by a shmifd router and by a link, a kernel host, a capture.
constexpr const char* kEverything = R"([lab]
name = "all"
[[bus]]
name = "lan1"
[[bus]]
name = "lan2"
format = "netbsd"
size = "4M"
[[node]]
name = "r"
forwarding = true
workers = 2
services = ["echo", "http:8080"]
forward = ["tcp:8080=10.0.1.2:80"]
[[node.interface]]
bus = "lan1"
addresses = ["10.0.1.1/24"]
[[node.interface]]
bus = "lan2"
addresses = ["10.0.2.1/24", "10.0.3.1/24"]
mtu = 1400
[[node]]
name = "h"
[[node.interface]]
bus = "lan1"
addresses = ["10.0.1.2/24"]
[[node.route]]
dst = "default"
via = "10.0.1.1"
[[node]]
name = "k"
kind = "kernel"
[[node.interface]]
bus = "lan2"
addresses = ["10.0.2.9/24"]
[[node.route]]
dst = "10.0.1.0/24"
via = "10.0.2.1"
[[link]]
a = "lan1"
b = "lan2"
a_to_b = "delay 10ms"
b_to_a = "loss 1%"
seed = 7
[[capture]]
bus = "lan2"
filter = "icmp"
)";

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

TEST(LabGraph, DrawsEveryPart) {
    const auto dot = to_dot(parse_ok(kEverything));
    EXPECT_TRUE(dot.starts_with("// shmiflab lab all")) << dot;
    EXPECT_NE(dot.find("graph \"all\" {"), std::string::npos) << dot;
    EXPECT_TRUE(dot.ends_with("}\n")) << dot;
    // Buses: format and size; the captured one framed twice, with its file and filter.
    EXPECT_NE(dot.find("\"bus lan1\" [shape=box, style=\"filled,bold\", fillcolor=\"#fff2cc\", "
                       "color=\"#d6b656\", label=\"lan1\\nnative bus\"];"),
              std::string::npos)
        << dot;
    EXPECT_NE(dot.find(", peripheries=2, label=\"lan2\\nnetbsd bus, 4 MiB\\ncaptured to "
                       "lan2.pcap\\nfilter: icmp\"];"),
              std::string::npos)
        << dot;
    EXPECT_EQ(count(dot, "peripheries=2"), 1u) << dot;
    // Nodes: the router green with workers, services and forwards; the host blue with its
    // route; the kernel node apart, with its namespace.
    EXPECT_NE(dot.find("label=\"r\\nshmifd router, 2 workers\\nservices: "), std::string::npos)
        << dot;
    EXPECT_NE(dot.find("\\nforward tcp:127.0.0.1:8080=10.0.1.2:80\""), std::string::npos) << dot;
    EXPECT_NE(dot.find("fillcolor=\"#dae8fc\", color=\"#6c8ebf\", label=\"h\\nshmifd host, 1 "
                       "worker\\ndefault via 10.0.1.1\"];"),
              std::string::npos)
        << dot;
    EXPECT_NE(dot.find("\"node k\" [shape=box3d"), std::string::npos) << dot;
    EXPECT_NE(dot.find("label=\"k\\nLinux kernel\\nnetns shmiflab-all-k\\n10.0.1.0/24 via "
                       "10.0.2.1\"];"),
              std::string::npos)
        << dot;
    // One edge per interface, labelled; one per link, with each direction's words.
    EXPECT_NE(dot.find("\"node r\" -- \"bus lan1\" [label=\"eth0\\n10.0.1.1/24\"];"),
              std::string::npos)
        << dot;
    EXPECT_NE(dot.find("\"node r\" -- \"bus lan2\" [label=\"eth1\\n10.0.2.1/24\\n10.0.3.1/"
                       "24\\nmtu 1400\"];"),
              std::string::npos)
        << dot;
    EXPECT_NE(dot.find("\"bus lan1\" -- \"bus lan2\" [style=dashed"), std::string::npos) << dot;
    EXPECT_NE(dot.find("label=\"shmiflink\\nlan1 -> lan2: delay 10ms\\nlan2 -> lan1: loss "
                       "1%\\nseed 7\"];"),
              std::string::npos)
        << dot;
    EXPECT_EQ(count(dot, "\" -- \""), 4u + 1u) << dot;  // four interfaces, one link
}

TEST(LabGraph, ALinkTheSameBothWays) {
    auto lab = parse_ok(kEverything);
    lab.links.front().a_to_b = lab.links.front().b_to_a = "";
    lab.links.front().seed.reset();
    EXPECT_NE(to_dot(lab).find("label=\"shmiflink\\nboth ways: untouched\"];"), std::string::npos);
}

TEST(LabGraph, QuotesWhatALabelHolds) {
    EXPECT_EQ(dot_quoted("plain"), "\"plain\"");
    EXPECT_EQ(dot_quoted(""), "\"\"");
    EXPECT_EQ(dot_quoted("a\"b"), "\"a\\\"b\"");
    // A backslash would start a label escape (\n, \N, \G...): doubled, it shows as written.
    EXPECT_EQ(dot_quoted("\\N \\"), "\"\\\\N \\\\\"");
    EXPECT_EQ(dot_quoted("one\ntwo\tthree\r"), "\"one\\ntwo three \"");
    EXPECT_EQ(dot_quoted("délai ≤ 5"), "\"délai ≤ 5\"");  // UTF-8 as it is
}

std::optional<std::string> dot_program() {
    return find_in_path("dot");
}

// `dot -Tsvg` of `text`: the SVG, and an empty string of complaints when all went well.
struct Drawn {
    int status = -1;
    std::string svg, complaints;
};
Drawn draw(const std::string& text) {
    shmif::test::TempDir dir;
    std::ofstream(dir.file("lab.dot"), std::ios::binary) << text;
    // timeout(1): a dot that hangs fails the test within a minute.
    const int status =
        std::system(fmt::format("timeout 60 '{}' -Tsvg -o '{}' '{}' > '{}' 2>&1", *dot_program(),
                                dir.file("lab.svg"), dir.file("lab.dot"), dir.file("dot.log"))
                        .c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(dir.file("lab.svg")),
            read_file(dir.file("dot.log"))};
}

// The text lines of an SVG as a person reads them (XML entities replaced).
std::vector<std::string> svg_texts(const std::string& svg) {
    std::vector<std::string> out;
    const std::regex text(R"(<text[^>]*>([^<]*)</text>)");
    for (std::sregex_iterator it(svg.begin(), svg.end(), text), end; it != end; ++it) {
        std::string line = (*it)[1];
        for (const auto& [entity, c] : {std::pair{"&quot;", "\""},
                                        {"&#39;", "'"},
                                        {"&lt;", "<"},
                                        {"&gt;", ">"},
                                        {"&#45;", "-"},
                                        {"&amp;", "&"}})
            line = std::regex_replace(line, std::regex(entity), c);
        out.push_back(line);
    }
    return out;
}

bool shows(const std::vector<std::string>& texts, const std::string& line) {
    return std::ranges::find(texts, line) != texts.end();
}

// What a filter or a file may hold reaches the picture as written.
TEST(LabGraph, DotShowsAwkwardTextAsWritten) {
    if (!dot_program()) GTEST_SKIP() << "Graphviz's dot is not installed (package graphviz)";
    auto lab = parse_ok(kEverything);
    const std::string awkward = R"(ether proto \ip and "x" <y> & 'z' \N \\ \)";
    lab.captures.front().filter = awkward;
    const auto drawn = draw(to_dot(lab));
    ASSERT_EQ(drawn.status, 0) << drawn.complaints;
    EXPECT_EQ(drawn.complaints, "");
    const auto texts = svg_texts(drawn.svg);
    EXPECT_TRUE(shows(texts, "filter: " + awkward)) << drawn.svg;
    EXPECT_TRUE(shows(texts, "lan2 -> lan1: loss 1%")) << drawn.svg;
    EXPECT_TRUE(shows(texts, "shmifd router, 2 workers")) << drawn.svg;
}

// Every example lab (and any added later) reads and is drawn without a complaint from dot,
// each node, bus and address shown.
TEST(LabGraph, EveryExampleIsDrawn) {
    if (!dot_program()) GTEST_SKIP() << "Graphviz's dot is not installed (package graphviz)";
    std::size_t examples = 0;
    for (const auto& entry : std::filesystem::directory_iterator(SHMIFLAB_EXAMPLES)) {
        if (entry.path().extension() != ".toml") continue;
        ++examples;
        SCOPED_TRACE(entry.path().string());
        auto lab = load_topology(entry.path().string());
        ASSERT_TRUE(lab.has_value()) << lab.error();
        const auto drawn = draw(to_dot(*lab));
        ASSERT_EQ(drawn.status, 0) << drawn.complaints;
        EXPECT_EQ(drawn.complaints, "");
        const auto texts = svg_texts(drawn.svg);
        EXPECT_TRUE(shows(texts, "lab " + lab->name));
        for (const auto& bus : lab->buses)
            EXPECT_TRUE(shows(texts, bus.name)) << bus.name;
        for (const auto& node : lab->nodes) {
            EXPECT_TRUE(shows(texts, node.name)) << node.name;
            for (const auto& itf : node.interfaces)
                for (const auto& address : itf.addresses)
                    EXPECT_TRUE(shows(texts, address.to_string())) << address.to_string();
        }
    }
    EXPECT_GE(examples, 2u);
}

}  // namespace
}  // namespace shmiflab
