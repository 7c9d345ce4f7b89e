// A user's lab test, as testing/README.md shows one: two hosts on a bus, a ping each way, a
// question to a node's control socket. shmiflab and shmifd are found in PATH.
#include <shmif/testing/lab.hpp>

namespace {

class PairTest : public shmif::testing::Lab {};

TEST_F(PairTest, HostsPingEachOther) {
    shmif::testing::LabBuilder lab("pair");
    lab.bus({.name = "lan"}).host("a", "lan", "10.0.0.1/24").host("b", "lan", "10.0.0.2/24");
    ASSERT_TRUE(up(lab));
    EXPECT_TRUE(ping("a", address("b"), 2));
    EXPECT_TRUE(ping("b", "10.0.0.1"));
    const auto version = node("a").call("version");
    ASSERT_TRUE(version) << version.error;
    EXPECT_EQ(version.result["protocol"], 1);
}

}  // namespace
