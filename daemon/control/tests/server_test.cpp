// ControlServer in-process: a scripted CommandHandler, io_context on one or more threads,
// clients from ControlClient and raw sockets.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <vector>

#include "control_test_util.hpp"
#include "shmifd/control/protocol.hpp"

namespace shmifd::control::test {
namespace {

using nlohmann::json;

TEST(ControlServer, AnswersARequest) {
    ServerHarness harness;
    auto client = harness.connect();
    const json reply = call(client, "addr.add", {{"if", "eth0"}, {"addr", "10.0.0.1/24"}});
    EXPECT_EQ(reply["ok"], true);
    EXPECT_EQ(reply["result"]["cmd"], "addr.add");
    EXPECT_EQ(reply["result"]["args"]["addr"], "10.0.0.1/24");
}

TEST(ControlServer, EchoesTheIdVerbatim) {
    ServerHarness harness;
    auto client = harness.connect();
    ASSERT_TRUE(client.send_raw(R"({"v":1,"id":"abc","cmd":"version"})"
                                "\n"
                                R"({"v":1,"id":7.5,"cmd":"version"})"
                                "\n"
                                R"({"v":1,"cmd":"version"})"
                                "\n",
                                5s));
    EXPECT_EQ(read_reply(client)["id"], "abc");
    EXPECT_EQ(read_reply(client)["id"], 7.5);
    EXPECT_TRUE(read_reply(client)["id"].is_null());
}

TEST(ControlServer, RepliesInRequestOrderWhenHandlersFinishOutOfOrder) {
    ServerHarness harness({}, 2);
    LaterPool later;
    // Request n finishes after (10 - n) * 15 ms, from its own thread: the last asked is the
    // first done.
    harness.handler().set([&](Request request, Done done) {
        const auto n = request.args.value("n", 0);
        later.after(std::chrono::milliseconds((10 - n) * 15), [n, done] { done(json{{"n", n}}); });
    });
    auto client = harness.connect();
    std::string batch;
    for (int n = 0; n < 10; ++n)
        batch += request_line(Request{1, n, "version", json{{"n", n}}});
    ASSERT_TRUE(client.send_raw(batch, 5s));
    for (int n = 0; n < 10; ++n) {
        const json reply = read_reply(client);
        EXPECT_EQ(reply["id"], n);
        EXPECT_EQ(reply["result"]["n"], n);
    }
    later.join();
}

TEST(ControlServer, ProtocolErrors) {
    ServerHarness harness;
    auto client = harness.connect();
    const std::pair<const char*, const char*> cases[] = {
        {"garbage", "parse_error"},
        {"{\"v\":1,", "parse_error"},
        {"[1,2,3]", "invalid_request"},
        {"{\"cmd\":\"version\"}", "invalid_request"},
        {"{\"v\":\"1\",\"cmd\":\"version\"}", "invalid_request"},
        {"{\"v\":2,\"cmd\":\"version\"}", "unsupported_version"},
        {"{\"v\":0,\"cmd\":\"version\"}", "unsupported_version"},
        {"{\"v\":-1,\"cmd\":\"version\"}", "unsupported_version"},
        {"{\"v\":1}", "invalid_request"},
        {"{\"v\":1,\"cmd\":5}", "invalid_request"},
        {"{\"v\":1,\"cmd\":\"version\",\"args\":[]}", "invalid_request"},
        {"{\"v\":1,\"cmd\":\"reboot\"}", "unknown_command"},
        {"", "parse_error"},
        {"\xff\xfe", "parse_error"},
    };
    for (const auto& [line, code] : cases) {
        ASSERT_TRUE(client.send_raw(std::string(line) + "\n", 5s));
        const json reply = read_reply(client);
        EXPECT_EQ(reply["ok"], false) << line;
        EXPECT_EQ(reply["error"]["code"], code) << line;
    }
    // Still usable afterwards.
    EXPECT_EQ(call(client, "version")["ok"], true);
    EXPECT_EQ(harness.server().stats().protocol_errors, std::size(cases));
}

TEST(ControlServer, UnsupportedVersionKeepsTheId) {
    ServerHarness harness;
    auto client = harness.connect();
    ASSERT_TRUE(client.send_raw("{\"v\":99,\"id\":3,\"cmd\":\"version\"}\n", 5s));
    const json reply = read_reply(client);
    EXPECT_EQ(reply["id"], 3);
    EXPECT_EQ(reply["v"], 1);
    EXPECT_EQ(reply["error"]["code"], "unsupported_version");
}

TEST(ControlServer, ArgsErrorsAndHandlerExceptionsBecomeReplies) {
    ServerHarness harness;
    harness.handler().set([](Request request, Done done) {
        if (request.cmd == "if.del") {
            Args args(request.args);
            const auto name = args.required_string("name");
            args.finish();
            done(json{{"deleted", name}});
        } else if (request.cmd == "config") {
            throw std::runtime_error("disk on fire");
        } else if (request.cmd == "stats") {
            throw ArgumentError("no such thing", "not_found");
        } else if (request.cmd == "neigh.flush") {
            throw 42;  // not even an exception type
        } else {
            done(json::object());
        }
    });
    auto client = harness.connect();
    EXPECT_EQ(call(client, "if.del", {{"name", "eth0"}})["result"]["deleted"], "eth0");
    EXPECT_EQ(call(client, "if.del", json::object())["code"], "invalid_args");
    EXPECT_EQ(call(client, "if.del", {{"name", 5}})["code"], "invalid_args");
    const json extra = call(client, "if.del", {{"name", "eth0"}, {"bogus", 1}});
    EXPECT_EQ(extra["code"], "invalid_args");
    EXPECT_NE(extra["message"].get<std::string>().find("bogus"), std::string::npos);
    const json failed = call(client, "config");
    EXPECT_EQ(failed["code"], "failed");
    EXPECT_EQ(failed["message"], "disk on fire");
    EXPECT_EQ(call(client, "stats")["code"], "not_found");
    EXPECT_EQ(call(client, "neigh.flush")["code"], "failed");
    EXPECT_EQ(call(client, "version")["ok"], true);
    EXPECT_EQ(harness.server().stats().handler_errors, 6u);
}

TEST(ControlServer, DoneTwiceOrSynchronouslyCountsOnce) {
    ServerHarness harness;
    harness.handler().set([](Request, Done done) {
        done(json{{"first", true}});
        done(json{{"second", true}});
    });
    auto client = harness.connect();
    EXPECT_EQ(call(client, "version")["result"]["first"], true);
    EXPECT_EQ(call(client, "version")["result"]["first"], true);
}

TEST(ControlServer, HalfLinesAcrossWrites) {
    ServerHarness harness;
    const int fd = harness.raw_connect();
    ASSERT_GE(fd, 0);
    const std::string line = R"({"v":1,"id":1,"cmd":"version"})"
                             "\r\n";
    for (char c : line) {
        ASSERT_EQ(::write(fd, &c, 1), 1);
        std::this_thread::sleep_for(1ms);  // separate segments on purpose
    }
    char buffer[512];
    std::string got;
    while (got.find('\n') == std::string::npos) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        ASSERT_GT(n, 0);
        got.append(buffer, static_cast<std::size_t>(n));
    }
    EXPECT_EQ(json::parse(got)["ok"], true);
    ::close(fd);
}

TEST(ControlServer, PeerClosingMidLineIsNotARequestAndEofStillGetsReplies) {
    ServerHarness harness;
    std::atomic<int> handled{0};
    harness.handler().set([&](Request, Done done) {
        handled++;
        done(json::object());
    });
    {
        const int fd = harness.raw_connect();
        const std::string half = R"({"v":1,"id":1,"cmd":"vers)";
        ASSERT_EQ(::write(fd, half.data(), half.size()), static_cast<ssize_t>(half.size()));
        ::close(fd);
    }
    // A client that writes requests then shuts its side still gets every reply.
    const int fd = harness.raw_connect();
    const std::string two =
        "{\"v\":1,\"id\":1,\"cmd\":\"version\"}\n"
        "{\"v\":1,\"id\":2,\"cmd\":\"version\"}\n";
    ASSERT_EQ(::write(fd, two.data(), two.size()), static_cast<ssize_t>(two.size()));
    ::shutdown(fd, SHUT_WR);
    std::string got;
    char buffer[512];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) break;  // the server closes after the last reply
        got.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    EXPECT_EQ(std::count(got.begin(), got.end(), '\n'), 2);
    EXPECT_EQ(handled.load(), 2);
}

TEST(ControlServer, HugeLineIsTooLargeAndTheConnectionStaysUsable) {
    ServerHarness harness;
    auto client = harness.connect();
    const long rss_before = resident_kib();
    // 10 MiB of one line, sent while the server reads: it must not buffer it.
    std::string chunk(1024 * 1024, 'x');
    chunk.replace(0, 30, R"({"v":1,"id":1,"cmd":"version",)");
    ASSERT_TRUE(client.send_raw(chunk, 10s));
    chunk.assign(1024 * 1024, 'y');
    for (int i = 1; i < 10; ++i)
        ASSERT_TRUE(client.send_raw(chunk, 10s));
    ASSERT_TRUE(client.send_raw("\n", 5s));
    const json too_large = read_reply(client);
    EXPECT_EQ(too_large["error"]["code"], "too_large");
    EXPECT_TRUE(too_large["id"].is_null());
    EXPECT_EQ(call(client, "version")["ok"], true);
    EXPECT_EQ(harness.server().stats().too_large, 1u);
    // Generous: the client's own 1 MiB chunk plus allocator noise, far below 10 MiB.
    if (rss_is_meaningful) {
        EXPECT_LT(resident_kib() - rss_before, 8 * 1024);
    }
}

TEST(ControlServer, LineAtTheLimitIsAcceptedOneMoreByteIsNot) {
    ServerOptions options;
    options.max_line = 200;
    ServerHarness harness(options);
    auto client = harness.connect();
    std::string line = R"({"v":1,"id":1,"cmd":"version","pad":")";
    line += std::string(200 - line.size() - 2, 'p') + "\"}";
    ASSERT_EQ(line.size(), 200u);
    ASSERT_TRUE(client.send_raw(line + "\n", 5s));
    EXPECT_EQ(read_reply(client)["ok"], true);
    line.insert(line.size() - 2, "p");
    ASSERT_TRUE(client.send_raw(line + "\n", 5s));
    EXPECT_EQ(read_reply(client)["error"]["code"], "too_large");
}

TEST(ControlServer, HundredClientsAtOnce) {
    ServerOptions options;
    options.max_clients = 128;
    ServerHarness harness(options, 2);
    LaterPool later;
    harness.handler().set([&](Request request, Done done) {
        later.after(1ms, [request, done] { done(json{{"who", request.args["who"]}}); });
    });
    std::vector<std::thread> clients;
    std::atomic<int> good{0};
    for (int c = 0; c < 100; ++c) {
        clients.emplace_back([&, c] {
            auto client = ControlClient::connect(harness.socket(), 10s);
            if (!client) return;
            for (int i = 0; i < 5; ++i) {
                Request request{1, nullptr, "version", json{{"who", c * 10 + i}}};
                auto reply = client->call(request, 10s);
                if (!reply || !reply->result || (*reply->result)["who"] != c * 10 + i) return;
            }
            good++;
        });
    }
    for (auto& thread : clients)
        thread.join();
    later.join();
    EXPECT_EQ(good.load(), 100);
    EXPECT_EQ(harness.server().stats().accepted, 100u);
}

TEST(ControlServer, ClientsBeyondTheLimitAreToldBusy) {
    ServerOptions options;
    options.max_clients = 2;
    ServerHarness harness(options);
    auto a = harness.connect();
    auto b = harness.connect();
    EXPECT_EQ(call(a, "version")["ok"], true);
    EXPECT_EQ(call(b, "version")["ok"], true);
    auto c = harness.connect();
    EXPECT_EQ(read_reply(c)["error"]["code"], "busy");
    EXPECT_EQ(harness.server().stats().refused_clients, 1u);
    EXPECT_EQ(call(a, "version")["ok"], true);
}

TEST(ControlServer, ClientThatNeverReadsIsDroppedOthersServed) {
    ServerOptions options;
    options.max_queued_bytes = 256 * 1024;
    options.write_timeout = 300ms;
    ServerHarness harness(options);
    // Big replies fill the socket buffers fast.
    const std::string big(32 * 1024, 'r');
    harness.handler().set([&](Request, Done done) { done(json{{"blob", big}}); });
    const int hog = harness.raw_connect();
    ASSERT_GE(hog, 0);
    ::fcntl(hog, F_SETFL, O_NONBLOCK);
    const std::string request = "{\"v\":1,\"cmd\":\"config\"}\n";
    const long rss_before = resident_kib();
    std::string flood;
    for (int i = 0; i < 1000; ++i)
        flood += request;
    // Write as much as the server takes; it stops reading once its queue for us is full.
    std::size_t written = 0;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    bool dropped = false;
    while (std::chrono::steady_clock::now() < deadline) {
        const ssize_t n = ::send(hog, flood.data(), flood.size(), MSG_NOSIGNAL);
        if (n > 0) written += static_cast<std::size_t>(n);
        if (n < 0 && errno != EAGAIN) {
            dropped = true;  // EPIPE/ECONNRESET: the server hung up on us
            break;
        }
        // Meanwhile another client is served promptly.
        auto other = harness.connect();
        const auto start = std::chrono::steady_clock::now();
        EXPECT_EQ(call(other, "version")["ok"], true);
        EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
        if (harness.server().stats().slow_clients_dropped > 0) {
            dropped = true;
            break;
        }
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(dropped);
    EXPECT_EQ(harness.server().stats().slow_clients_dropped, 1u);
    if (rss_is_meaningful) {
        EXPECT_LT(resident_kib() - rss_before, 16 * 1024) << "wrote " << written << " bytes";
    }
    ::close(hog);
}

TEST(ControlServer, PipelinedRequestsBeyondThePendingLimitWaitTheirTurn) {
    ServerOptions options;
    options.max_pending_replies = 4;
    ServerHarness harness(options);
    LaterPool later;
    std::atomic<int> most_in_flight{0}, in_flight{0};
    harness.handler().set([&](Request request, Done done) {
        const int now = ++in_flight;
        int seen = most_in_flight.load();
        while (now > seen && !most_in_flight.compare_exchange_weak(seen, now)) {
        }
        later.after(5ms, [&, request, done] {
            --in_flight;
            done(json{{"id", request.id}});
        });
    });
    auto client = harness.connect();
    std::string batch;
    for (int n = 0; n < 40; ++n)
        batch += request_line(Request{1, n, "version", json::object()});
    ASSERT_TRUE(client.send_raw(batch, 5s));
    for (int n = 0; n < 40; ++n)
        EXPECT_EQ(read_reply(client)["id"], n);
    later.join();
    EXPECT_LE(most_in_flight.load(), 4);
}

TEST(ControlServer, RequestsInFlightOverAllClientsAreBoundedAndGivenBack) {
    ServerOptions options;
    options.max_in_flight = 3;
    ServerHarness harness(options);
    std::mutex mutex;
    std::vector<Done> held;  // `ping`s are held unanswered, everything else answered at once
    harness.handler().set([&](Request request, Done done) {
        if (request.cmd != "ping") return done(json::object());
        std::lock_guard lock(mutex);
        held.push_back(std::move(done));
    });
    const auto held_count = [&] {
        std::lock_guard lock(mutex);
        return held.size();
    };
    {
        // A client leaves long requests behind and disconnects: they stay in flight.
        auto abandoner = harness.connect();
        std::string batch;
        for (int n = 0; n < 3; ++n)
            batch += request_line(Request{1, n, "ping", json::object()});
        ASSERT_TRUE(abandoner.send_raw(batch, 5s));
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (held_count() < 3 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(1ms);
        ASSERT_EQ(held_count(), 3u);
    }
    auto other = harness.connect();
    const auto refused = call(other, "version");
    EXPECT_EQ(refused["ok"], false);
    EXPECT_EQ(refused["code"], "busy");
    EXPECT_EQ(harness.server().stats().refused_busy, 1u);
    EXPECT_EQ(harness.server().stats().in_flight, 3u);
    {
        // One answered (its client is gone), one dropped unanswered: both give their place back.
        std::lock_guard lock(mutex);
        held[0](json::object());
        held.erase(held.begin(), held.begin() + 2);
    }
    EXPECT_EQ(harness.server().stats().in_flight, 1u);
    EXPECT_EQ(call(other, "version")["ok"], true);
    EXPECT_EQ(call(other, "version")["ok"], true);
    EXPECT_EQ(harness.server().stats().refused_busy, 1u);
}

TEST(ControlServer, SocketIsOwnerOnlyByDefaultAndParentCreated) {
    ServerHarness harness;
    struct stat status {};
    ASSERT_EQ(::stat(harness.socket().c_str(), &status), 0);
    EXPECT_TRUE(S_ISSOCK(status.st_mode));
    EXPECT_EQ(status.st_mode & 07777, 0600u);
    const auto parent = std::filesystem::path(harness.socket()).parent_path();
    ASSERT_EQ(::stat(parent.c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 07777, 0755u);
}

TEST(ControlServer, SocketWithAGroupIsGroupWritable) {
    // Our own primary group: chown to it needs no privilege.
    const gid_t gid = ::getgid();
    const group* entry = ::getgrgid(gid);
    ASSERT_NE(entry, nullptr);
    for (const std::string& group : {std::string(entry->gr_name), std::to_string(gid)}) {
        shmif::test::TempDir dir;
        ServerOptions options;
        options.path = dir.file("g.sock");
        options.group = group;
        ServerHarness harness(options);
        struct stat status {};
        ASSERT_EQ(::stat(harness.socket().c_str(), &status), 0);
        EXPECT_EQ(status.st_mode & 07777, 0660u) << group;
        EXPECT_EQ(status.st_gid, gid) << group;
        auto client = harness.connect();
        EXPECT_EQ(call(client, "version")["ok"], true);
    }
}

TEST(ControlServer, UnknownGroupIsRefused) {
    shmif::test::TempDir dir;
    boost::asio::io_context io;
    ScriptedHandler handler;
    ControlServer server(io, handler,
                         ServerOptions{.path = dir.file("s.sock"), .group = "no-such-group-xyz"});
    EXPECT_THROW(server.start(), std::runtime_error);
    EXPECT_FALSE(std::filesystem::exists(dir.file("s.sock")));
}

TEST(ControlServer, StaleSocketIsReplaced) {
    shmif::test::TempDir dir;
    const std::string path = dir.file("stale.sock");
    {
        // Bound and closed without unlinking: what a crashed daemon leaves.
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
        ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
        ::close(fd);
    }
    ASSERT_TRUE(std::filesystem::is_socket(path));
    ServerOptions options;
    options.path = path;
    ServerHarness harness(options);
    auto client = harness.connect();
    EXPECT_EQ(call(client, "version")["ok"], true);
}

TEST(ControlServer, LiveSocketIsRefusedAndLeftAlone) {
    ServerHarness first;
    boost::asio::io_context io;
    ScriptedHandler handler;
    ControlServer second(io, handler, ServerOptions{.path = first.socket()});
    try {
        second.start();
        FAIL() << "a second server took over a live socket";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("another daemon"), std::string::npos)
            << error.what();
    }
    auto client = first.connect();
    EXPECT_EQ(call(client, "version")["ok"], true);
}

TEST(ControlServer, OtherFilesAreNeverReplaced) {
    shmif::test::TempDir dir;
    const std::string path = dir.file("precious");
    std::ofstream(path) << "data";
    boost::asio::io_context io;
    ScriptedHandler handler;
    ControlServer server(io, handler, ServerOptions{.path = path});
    EXPECT_THROW(server.start(), std::runtime_error);
    EXPECT_TRUE(std::filesystem::is_regular_file(path));
}

TEST(ControlServer, TooLongPathIsRefused) {
    boost::asio::io_context io;
    ScriptedHandler handler;
    ControlServer server(io, handler, ServerOptions{.path = "/tmp/" + std::string(200, 'p')});
    EXPECT_THROW(server.start(), std::runtime_error);
}

TEST(ControlServer, StopRemovesTheSocketAndClosesIdleClients) {
    ServerHarness harness;
    auto client = harness.connect();
    EXPECT_EQ(call(client, "version")["ok"], true);
    EXPECT_TRUE(harness.stop());
    EXPECT_FALSE(std::filesystem::exists(harness.socket()));
    auto after = client.read_line(2s);
    ASSERT_FALSE(after);
    EXPECT_EQ(after.error().kind, ClientError::Kind::io);
    EXPECT_FALSE(ControlClient::connect(harness.socket(), 200ms));
}

TEST(ControlServer, DestroyingTheServerRemovesTheSocket) {
    shmif::test::TempDir dir;
    const std::string path = dir.file("d.sock");
    {
        ServerOptions options;
        options.path = path;
        ServerHarness harness(options);
        EXPECT_TRUE(std::filesystem::is_socket(path));
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ControlServer, GracefulStopLetsInFlightRequestsFinishAndRefusesNewOnes) {
    ServerHarness harness;
    LaterPool later;
    harness.handler().set([&](Request request, Done done) {
        if (request.cmd == "ping")
            later.after(300ms, [done] { done(json{{"sent", 1}}); });
        else
            done(json::object());
    });
    auto client = harness.connect();
    ASSERT_TRUE(client.send_raw("{\"v\":1,\"id\":1,\"cmd\":\"ping\"}\n", 5s));
    std::this_thread::sleep_for(50ms);  // let the ping reach the handler
    auto stopped = std::make_shared<std::promise<void>>();
    auto future = stopped->get_future();
    harness.server().stop([stopped] { stopped->set_value(); });
    ASSERT_TRUE(client.send_raw("{\"v\":1,\"id\":2,\"cmd\":\"version\"}\n", 5s));
    const json first = read_reply(client);
    EXPECT_EQ(first["id"], 1);
    EXPECT_EQ(first["result"]["sent"], 1);
    const json second = read_reply(client);
    EXPECT_EQ(second["id"], 2);
    EXPECT_EQ(second["error"]["code"], "shutting_down");
    EXPECT_EQ(future.wait_for(5s), std::future_status::ready);
    later.join();
}

TEST(ControlServer, GracefulStopIsBounded) {
    ServerOptions options;
    options.stop_grace = 200ms;
    ServerHarness harness(options);
    std::vector<Done> never;  // a handler that never answers
    std::mutex mutex;
    harness.handler().set([&](Request, Done done) {
        std::lock_guard lock(mutex);
        never.push_back(std::move(done));
    });
    auto client = harness.connect();
    ASSERT_TRUE(client.send_raw("{\"v\":1,\"cmd\":\"ping\"}\n", 5s));
    for (int i = 0; i < 200; ++i) {
        std::lock_guard lock(mutex);
        if (!never.empty()) break;
        std::this_thread::sleep_for(5ms);
    }
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(harness.stop(5s));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    // The unanswered request got shutting_down before the close, not a bare close.
    const json reply = read_reply(client);
    EXPECT_EQ(reply["error"]["code"], "shutting_down") << reply.dump();
    // Answering after the connection is gone is harmless.
    std::lock_guard lock(mutex);
    for (auto& done : never)
        done(json::object());
}

TEST(ControlServer, EndGraceAnswersWhatIsInFlightAtOnce) {
    ServerOptions options;
    options.stop_grace = 60s;
    ServerHarness harness(options);
    std::vector<Done> never;
    std::mutex mutex;
    harness.handler().set([&](Request, Done done) {
        std::lock_guard lock(mutex);
        never.push_back(std::move(done));
    });
    auto client = harness.connect();
    ASSERT_TRUE(client.send_raw("{\"v\":1,\"id\":4,\"cmd\":\"ping\"}\n", 5s));
    for (int i = 0; i < 200; ++i) {
        std::lock_guard lock(mutex);
        if (!never.empty()) break;
        std::this_thread::sleep_for(5ms);
    }
    auto stopped = std::make_shared<std::promise<void>>();
    auto future = stopped->get_future();
    const auto start = std::chrono::steady_clock::now();
    harness.server().stop([stopped] { stopped->set_value(); });
    harness.server().end_grace();
    const json reply = read_reply(client);
    EXPECT_EQ(reply["id"], 4);
    EXPECT_EQ(reply["error"]["code"], "shutting_down") << reply.dump();
    EXPECT_EQ(future.wait_for(5s), std::future_status::ready);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    std::lock_guard lock(mutex);
    for (auto& done : never)
        done(json::object());  // too late: dropped
}

TEST(ControlServer, ManyThreadsManyClientsOutOfOrder) {
    ServerHarness harness({}, 4);
    LaterPool later;
    std::atomic<int> seq{0};
    harness.handler().set([&](Request request, Done done) {
        const int delay = (seq++ * 7) % 5;
        later.after(std::chrono::milliseconds(delay), [request, done] {
            done(json{{"echo", request.args}});
        });
    });
    std::vector<std::thread> clients;
    std::atomic<int> good{0};
    for (int c = 0; c < 16; ++c) {
        clients.emplace_back([&, c] {
            auto client = ControlClient::connect(harness.socket(), 10s);
            if (!client) return;
            std::string batch;
            for (int i = 0; i < 20; ++i)
                batch += request_line(Request{1, i, "version", json{{"c", c}, {"i", i}}});
            if (!client->send_raw(batch, 10s)) return;
            for (int i = 0; i < 20; ++i) {
                auto line = client->read_line(10s);
                if (!line) return;
                const json reply = json::parse(*line);
                if (reply["id"] != i || reply["result"]["echo"]["c"] != c) return;
            }
            good++;
        });
    }
    for (auto& thread : clients)
        thread.join();
    later.join();
    EXPECT_EQ(good.load(), 16);
}

}  // namespace
}  // namespace shmifd::control::test
