// Two real shmifd processes on one bus (a: 10.0.0.1, b: 10.0.0.2) for the end-to-end tests of
// libshmifsock and shmifrun, with the waits those tests share, every one bounded.
#pragma once

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>

#include "daemon_fixture.hpp"

namespace shmifsock::test {

using shmifd::test::DaemonProcess;

class DaemonPair : public shmifd::test::DaemonFixture {
  protected:
    static constexpr const char* kAddrA = "10.0.0.1";
    static constexpr const char* kAddrB = "10.0.0.2";
    std::unique_ptr<DaemonProcess> a;
    std::unique_ptr<DaemonProcess> b;

    void SetUp() override {
        a = start("a", lan, std::string(kAddrA) + "/24");
        b = start("b", lan, std::string(kAddrB) + "/24");
        ASSERT_TRUE(a->running() && b->running());
    }

    // Until `daemon` has a socket listening on `port` (a server under shmifrun is ready).
    static bool wait_listening(DaemonProcess& daemon, int port) {
        return shmifd::test::wait_until(
            [&] {
                const auto list = daemon.call("sock.list");
                if (!list) return false;
                for (const auto& s : (*list).value("sockets", nlohmann::json::array())) {
                    auto state = s.value("state", std::string());
                    std::transform(state.begin(), state.end(), state.begin(),
                                   [](unsigned char c) { return std::tolower(c); });
                    const auto& local = s.value("local", nlohmann::json());
                    if (state.starts_with("listen") && local.is_object() &&
                        local.value("port", 0) == port)
                        return true;
                }
                return false;
            },
            std::chrono::seconds(15));
    }
};

}  // namespace shmifsock::test
