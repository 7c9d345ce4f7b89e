// Replies carry values exactly, between real daemons: every byte value of a UDP payload
// (daemon/PROTOCOL.md: data_base64), through the protocol and through shmifctl, and 64-bit
// ids as hex strings (a JSON number past 2^53 loses digits in most parsers).
#include <gtest/gtest.h>

#include <future>
#include <memory>

#include "daemon_process.hpp"
#include "shmifd/control/payload_text.hpp"
#include "temp_dir.hpp"

namespace shmifd::test {
namespace {

using nlohmann::json;

class ExactRepliesTest : public ::testing::Test {
  protected:
    shmif::test::TempDir dir;
    std::string bus = dir.file("lan.bus");

    std::unique_ptr<DaemonProcess> start(const std::string& name, const std::string& addr) {
        auto d =
            std::make_unique<DaemonProcess>(dir.path(), name, DaemonProcess::quick(bus, addr, 2));
        EXPECT_TRUE(d->wait_ready()) << name << " did not come up:\n" << d->log();
        return d;
    }
};

std::string every_byte_value(int first = 0) {
    std::string bytes;
    for (int b = first; b < 256; ++b)
        bytes += static_cast<char>(b);
    return bytes;
}

// daemon/PROTOCOL.md: data_base64 carries any bytes both ways; `data` only valid UTF-8.
TEST_F(ExactRepliesTest, EveryByteValueArrivesExactly) {
    auto a = start("a", "10.0.0.1/24");
    auto b = start("b", "10.0.0.2/24");
    auto deliver = [&](int port, const json& payload) -> json {
        auto waiting = std::async(std::launch::async, [&] {
            return a->call("udp.recv", {{"port", port}, {"timeout_ms", 5000}}, 10s);
        });
        json args = payload;
        args["to"] = "10.0.0.1:" + std::to_string(port);
        for (int i = 0; i < 80 && waiting.wait_for(50ms) != std::future_status::ready; ++i)
            b->ok("udp.send", args);
        auto got = waiting.get();
        EXPECT_TRUE(got && (*got)["datagrams"].size() == 1) << (got ? got->dump() : "error");
        return got && !(*got)["datagrams"].empty() ? (*got)["datagrams"][0] : json::object();
    };
    const std::string bytes = every_byte_value();
    const json binary = deliver(7400, {{"data_base64", control::base64_encode(bytes)}});
    EXPECT_EQ(control::base64_decode(binary.value("data_base64", "")), bytes) << binary.dump();
    EXPECT_FALSE(binary.contains("data")) << "not UTF-8: no text form";
    EXPECT_EQ(binary["size"], 256);
    const json text = deliver(7401, {{"data", "h\u00e9llo"}});
    EXPECT_EQ(text["data"], "h\u00e9llo");
    EXPECT_EQ(control::base64_decode(text.value("data_base64", "")), "h\u00e9llo");

    EXPECT_EQ(a->call("udp.send", {{"to", "10.0.0.2:9"}, {"data_base64", "//4"}}).error().code,
              "invalid_args");
    EXPECT_EQ(a->call("udp.send", {{"to", "10.0.0.2:9"}, {"data", "x"}, {"data_base64", "eA=="}})
                  .error()
                  .code,
              "invalid_args");

#ifdef SHMIFCTL_BIN
    // shmifctl end to end: argv bytes as they are (argv cannot hold NUL) and --hex.
    auto through_shmifctl = [&](const std::string& port, const std::vector<std::string>& send_tail,
                                const std::string& shown) {
        const auto out = dir.file("recv" + port + ".out");
        const pid_t receiver = spawn(
            {SHMIFCTL_BIN, "-s", a->socket(), "udp", "recv", port, "--timeout", "5000", "--hex"},
            out);
        std::optional<int> status;
        for (int i = 0; i < 80 && !(status = wait_exit(receiver, 50ms)); ++i) {
            std::vector<std::string> send = {SHMIFCTL_BIN, "-s",   b->socket(),
                                             "udp",        "send", "10.0.0.1:" + port};
            send.insert(send.end(), send_tail.begin(), send_tail.end());
            EXPECT_EQ(wait_exit(spawn(send, dir.file("send.out")), 10s), 0)
                << read_file(dir.file("send.out"));
        }
        if (!status) status = wait_exit(receiver, 10s);
        EXPECT_EQ(status, 0) << read_file(out);
        EXPECT_NE(read_file(out).find(shown), std::string::npos) << read_file(out);
    };
    const std::string raw = every_byte_value(1);
    through_shmifctl("7402", {raw}, "(255 bytes, hex): " + control::hex_encode(raw));
    through_shmifctl("7403", {control::hex_encode(bytes), "--hex"},
                     "(256 bytes, hex): " + control::hex_encode(bytes));
#endif
}

TEST_F(ExactRepliesTest, SenderIdsAreHexStrings) {
    auto a = start("a", "10.0.0.1/24");
    const json buses = a->ok("bus.stats")["buses"];
    ASSERT_EQ(buses.size(), 2u) << buses.dump();  // eth0's, then lo's
    const json& sender = buses[0]["sender"];
    ASSERT_TRUE(sender.is_string()) << sender.dump();
    const auto text = sender.get<std::string>();
    EXPECT_TRUE(text.starts_with("0x") && text.size() > 2 && text.size() <= 18) << text;
    EXPECT_EQ(text.find_first_not_of("0123456789abcdef", 2), std::string::npos) << text;
}

}  // namespace
}  // namespace shmifd::test
