// BusDevice tells its health observer once when sending starts failing (with the error) and
// once when it works again: what lets shmifd log a corrupt bus header once, not per frame.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "bus_test_util.hpp"
#include "netstack/bus_device.hpp"
#include "shmif/check.hpp"
#include "temp_dir.hpp"

namespace shmif::test {
namespace {

TEST(BusDeviceHealth, ObserverHearsTheBreakageOnceAndTheRecoveryOnce) {
    TempDir dir;
    const auto path = dir.file("d.bus");
    auto bus = Bus::create(path, {.size = 4096 + 65536});
    ASSERT_TRUE(bus.has_value());
    netstack::BusDevice device(*bus);
    std::vector<std::optional<Errc>> heard;
    device.on_health_change([&](const std::optional<Error>& error) {
        heard.push_back(error ? std::optional(error->code) : std::nullopt);
    });
    const auto frame = payload(60, 1);
    device.transmit(frame);
    device.flush();
    EXPECT_TRUE(heard.empty());  // healthy from the start: nothing to say

    const auto junk = payload(4096, 2);
    write_bytes(path, 0, junk.data(), junk.size());
    for (int i = 0; i < 5; ++i) {
        device.transmit(frame);
        device.flush();
    }
    ASSERT_EQ(heard.size(), 1U);
    EXPECT_EQ(heard[0], Errc::corrupt_header);
    EXPECT_EQ(device.stats().dropped_send_error, 5U);

    ASSERT_TRUE(repair_bus(path, {.force = true}).has_value());
    for (int i = 0; i < 3; ++i) {
        device.transmit(frame);
        device.flush();
    }
    ASSERT_EQ(heard.size(), 2U);
    EXPECT_EQ(heard[1], std::nullopt);
    EXPECT_EQ(device.stats().sent, 4U);
}

}  // namespace
}  // namespace shmif::test
