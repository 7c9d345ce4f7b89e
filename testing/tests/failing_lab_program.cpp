// Not a test of its own: a GoogleTest program that lab_artifacts_test.cpp runs to see what
// the fixture keeps. KeptLab.FailsOnPurpose fails after traffic was captured; KeptLab.Passes
// does the same and passes. Each prints its lab's directory ("LAB_DIR path").
#include <iostream>

#include "in_tree_lab.hpp"

namespace shmif::testing::test {
namespace {

class KeptLab : public InTreeLab {
  protected:
    void ping_across() {
        ASSERT_TRUE(up(two_hosts("kept")));
        std::cout << "LAB_DIR " << lab_dir() << std::endl;
        EXPECT_TRUE(ping("a", address("b"), 3));
        EXPECT_TRUE(ping("b", "10.0.0.1", 2));
    }
};

TEST_F(KeptLab, FailsOnPurpose) {
    ping_across();
    ADD_FAILURE() << "failing on purpose: the lab's pcap and logs must be kept";
}

TEST_F(KeptLab, Passes) {
    ping_across();
}

}  // namespace
}  // namespace shmif::testing::test
