// The fixture as this tree's tests use it: the shmiflab and shmifd just built.
#pragma once

#include "shmif/testing/lab.hpp"

namespace shmif::testing::test {

class InTreeLab : public Lab {
  protected:
    InTreeLab() {
        options.shmiflab = SHMIFLAB_BIN;
        options.shmifd = SHMIFD_BIN;
    }
};

// Two hosts on one bus, a.b.c.1 and .2, every frame of the bus captured to lan.pcap.
inline LabBuilder two_hosts(const std::string& name) {
    LabBuilder lab(name);
    lab.bus({.name = "lan"})
        .host("a", "lan", "10.0.0.1/24")
        .host("b", "lan", "10.0.0.2/24")
        .capture({.bus = "lan"});
    return lab;
}

}  // namespace shmif::testing::test
