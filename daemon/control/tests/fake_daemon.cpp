// control_fake_daemon SOCKET REPLIES LOG: a ControlServer answering every command with the
// reply canned for it in REPLIES ({"cmd": {"result": ...} | {"error": {"code", "message"}}}),
// appending each request it receives to LOG as one JSON line. Stops on SIGTERM/SIGINT.
// Used to test shmifctl as a real process; also the smallest example of running the server.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>

#include "shmifd/control/protocol.hpp"
#include "shmifd/control/server.hpp"

namespace {

using nlohmann::json;
using namespace shmifd::control;

class CannedHandler : public CommandHandler {
  public:
    CannedHandler(json replies, std::string log) : replies_(std::move(replies)), log_(log) {}

    void handle(Request request, Done done) override {
        log_ << dump_json(json{{"cmd", request.cmd}, {"args", request.args}}) << std::endl;
        const auto canned = replies_.find(request.cmd);
        if (canned == replies_.end()) {
            done(std::unexpected(CommandError{errc::failed, "no canned reply for " + request.cmd}));
        } else if (canned->contains("error")) {
            const json& error = (*canned)["error"];
            done(std::unexpected(
                CommandError{error.value("code", "failed"), error.value("message", "")}));
        } else {
            done(canned->value("result", json::object()));
        }
    }

  private:
    json replies_;
    std::ofstream log_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: control_fake_daemon SOCKET REPLIES LOG\n");
        return 2;
    }
    std::ifstream replies_file(argv[2]);
    json replies = json::parse(replies_file, nullptr, false);
    if (!replies.is_object()) {
        std::fprintf(stderr, "control_fake_daemon: %s: not a JSON object\n", argv[2]);
        return 2;
    }
    boost::asio::io_context io;
    CannedHandler handler(std::move(replies), argv[3]);
    ControlServer server(io, handler, ServerOptions{.path = argv[1]});
    try {
        server.start();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "control_fake_daemon: %s\n", error.what());
        return 1;
    }
    boost::asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait(
        [&](const boost::system::error_code&, int) { server.stop([&] { io.stop(); }); });
    io.run();
    return 0;
}
