// The pure parts: request parsing, reply building, Args and line framing.
#include <gtest/gtest.h>

#include <cstdlib>

#include "../src/line_framer.hpp"
#include "shmifd/control/protocol.hpp"
#include "shmifd/control/socket_path.hpp"

namespace shmifd::control {
namespace {

using nlohmann::json;

TEST(ParseRequest, AFullRequest) {
    auto request = parse_request(
        R"({"v":1,"id":7,"cmd":"addr.add","args":{"if":"eth0","addr":"10.0.0.2/24"}})");
    ASSERT_TRUE(request);
    EXPECT_EQ(request->version, 1);
    EXPECT_EQ(request->id, 7);
    EXPECT_EQ(request->cmd, "addr.add");
    EXPECT_EQ(request->args["if"], "eth0");
}

TEST(ParseRequest, DefaultsAndCarriageReturn) {
    auto request = parse_request("{\"v\":1,\"cmd\":\"if.list\"}\r");
    ASSERT_TRUE(request);
    EXPECT_TRUE(request->id.is_null());
    EXPECT_TRUE(request->args.is_object());
    EXPECT_TRUE(request->args.empty());
    auto null_args = parse_request(R"({"v":1,"cmd":"if.list","args":null})");
    ASSERT_TRUE(null_args);
    EXPECT_TRUE(null_args->args.is_object());
}

TEST(ParseRequest, Errors) {
    const std::pair<std::string, std::string> cases[] = {
        {"", "parse_error"},
        {std::string("nul\0l", 5), "parse_error"},
        {"{", "parse_error"},
        {"1", "invalid_request"},
        {"\"v\"", "invalid_request"},
        {R"({"id":1,"cmd":"x"})", "invalid_request"},
        {R"({"v":1.0,"cmd":"version"})", "invalid_request"},
        {R"({"v":true,"cmd":"version"})", "invalid_request"},
        {R"({"v":18446744073709551615,"cmd":"version"})", "unsupported_version"},
        {R"({"v":2})", "unsupported_version"},
        {R"({"v":1,"cmd":null})", "invalid_request"},
        {R"({"v":1,"cmd":"x","args":"a"})", "invalid_request"},
        {R"({"v":1,"id":{},"cmd":"x"})", "invalid_request"},
        {R"({"v":1,"id":[1],"cmd":"x"})", "invalid_request"},
    };
    for (const auto& [line, code] : cases) {
        auto request = parse_request(line);
        ASSERT_FALSE(request) << line;
        EXPECT_EQ(request.error().error.code, code) << line;
        EXPECT_FALSE(request.error().error.message.empty());
    }
}

TEST(ParseRequest, ErrorsKeepTheIdWhenReadable) {
    auto request = parse_request(R"({"v":3,"id":"x","cmd":"version"})");
    ASSERT_FALSE(request);
    EXPECT_EQ(request.error().id, "x");
    auto no_cmd = parse_request(R"({"v":1,"id":9})");
    ASSERT_FALSE(no_cmd);
    EXPECT_EQ(no_cmd.error().id, 9);
}

TEST(Commands, TheProtocolTable) {
    EXPECT_EQ(known_commands().size(), 44u);
    for (const char* cmd :
         {"version",     "if.add",       "route.del",   "neigh.flush",  "udp.recv",
          "bus.stats",   "config",       "if.set",      "stack.set",    "stack.show",
          "config.save", "service.add",  "service.del", "service.list", "tcp.list",
          "impair.set",  "impair.clear", "impair.show", "sock.open",    "sock.accept",
          "sock.list",   "sock.lane",    "fwd.add",     "fwd.del",      "fwd.list"})
        EXPECT_TRUE(is_known_command(cmd)) << cmd;
    for (const char* cmd : {"", "if", "IF.LIST", "version ", "reboot"})
        EXPECT_FALSE(is_known_command(cmd)) << cmd;
}

TEST(ReplyLine, OkAndErrorShapes) {
    EXPECT_EQ(reply_line(7, json{{"a", 1}}),
              "{\"v\":1,\"id\":7,\"ok\":true,\"result\":{\"a\":1}}\n");
    EXPECT_EQ(error_line(nullptr, errc::not_found, "no interface eth9"),
              "{\"v\":1,\"id\":null,\"ok\":false,\"error\":{\"code\":\"not_found\","
              "\"message\":\"no interface eth9\"}}\n");
}

TEST(ReplyLine, InvalidUtf8IsRepairedNotThrown) {
    const std::string line = reply_line(1, json{{"data", std::string("a\xff\xfe b")}});
    EXPECT_TRUE(json::accept(line));
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
}

TEST(ReplyLine, RoundTripsThroughParseReply) {
    auto ok = parse_reply(reply_line("i", json{{"x", true}}));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->id, "i");
    ASSERT_TRUE(ok->result);
    EXPECT_EQ((*ok->result)["x"], true);
    auto error = parse_reply(error_line(3, errc::busy, "retry"));
    ASSERT_TRUE(error);
    ASSERT_FALSE(error->result);
    EXPECT_EQ(error->result.error().code, "busy");
    EXPECT_EQ(error->result.error().message, "retry");
    EXPECT_FALSE(parse_reply("{}"));
    EXPECT_FALSE(parse_reply("{\"v\":2,\"ok\":true}"));
    EXPECT_FALSE(parse_reply("{\"v\":1,\"ok\":false}"));
    EXPECT_FALSE(parse_reply("nope"));
}

TEST(RequestLine, CompactWithArgsOnlyWhenGiven) {
    EXPECT_EQ(request_line(Request{1, 5, "if.list", json::object()}),
              "{\"v\":1,\"id\":5,\"cmd\":\"if.list\"}\n");
    auto parsed = parse_request(request_line(Request{1, 5, "if.del", json{{"name", "e"}}}));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->args["name"], "e");
}

TEST(Args, TypedAccess) {
    const json raw = {{"name", "eth0"}, {"mtu", 1500}, {"promisc", true}, {"via", nullptr}};
    Args args(raw);
    EXPECT_EQ(args.required_string("name"), "eth0");
    EXPECT_EQ(args.optional_uint("mtu", 68, 65535), 1500u);
    EXPECT_EQ(args.optional_bool("promisc"), true);
    EXPECT_EQ(args.optional_string("via"), std::nullopt);  // null is "not given"
    EXPECT_EQ(args.optional_string("mac"), std::nullopt);
    EXPECT_NO_THROW(args.finish());
}

TEST(Args, Refusals) {
    const auto code_of = [](auto&& fn) -> std::string {
        try {
            fn();
        } catch (const ArgumentError& error) {
            return error.code;
        }
        return "no throw";
    };
    EXPECT_EQ(code_of([] { Args a(json::array()); }), "invalid_args");
    const json raw = {{"s", 1}, {"n", -1}, {"f", 1.5}, {"b", "yes"}, {"big", 70000}};
    EXPECT_EQ(code_of([&] { Args(raw).required_string("s"); }), "invalid_args");
    EXPECT_EQ(code_of([&] { Args(raw).required_string("missing"); }), "invalid_args");
    EXPECT_EQ(code_of([&] { Args(raw).optional_uint("n", 0, 10); }), "invalid_args");
    EXPECT_EQ(code_of([&] { Args(raw).optional_uint("f", 0, 10); }), "invalid_args");
    EXPECT_EQ(code_of([&] { Args(raw).optional_uint("big", 0, 65535); }), "invalid_args");
    EXPECT_EQ(code_of([&] { Args(raw).required_uint("missing", 0, 1); }), "invalid_args");
    EXPECT_EQ(code_of([&] { Args(raw).optional_bool("b"); }), "invalid_args");
    EXPECT_EQ(code_of([&] {
                  Args a(raw);
                  a.optional_uint("big", 0, 100000);
                  a.finish();
              }),
              "invalid_args");
}

TEST(LineFramer, SplitsJoinsAndBoundsLines) {
    LineFramer framer(8);
    std::vector<std::string> lines;
    int too_large = 0;
    const auto feed = [&](std::string_view input) {
        while (!input.empty()) {
            const auto event = framer.next(input);
            if (event.kind == LineFramer::Kind::line) lines.emplace_back(event.line);
            if (event.kind == LineFramer::Kind::too_large) too_large++;
            input.remove_prefix(event.consumed);
        }
    };
    feed("ab\ncd");
    feed("ef\n\n");
    EXPECT_TRUE(!framer.mid_line());
    feed("123456789");  // over 8: reported now, rest discarded
    EXPECT_EQ(too_large, 1);
    EXPECT_TRUE(framer.mid_line());
    feed("still the same line\nok\n");
    feed("12345678\n");  // exactly 8: fine
    EXPECT_EQ(too_large, 1);
    EXPECT_EQ(lines, (std::vector<std::string>{"ab", "cdef", "", "ok", "12345678"}));
}

TEST(SocketPath, DefaultFollowsTheEnvironment) {
    const auto keep = [](const char* name) {
        const char* value = std::getenv(name);
        return value ? std::optional<std::string>(value) : std::nullopt;
    };
    const auto socket = keep("SHMIFD_SOCKET");
    const auto runtime = keep("XDG_RUNTIME_DIR");
    ::setenv("SHMIFD_SOCKET", "/x/y.sock", 1);
    EXPECT_EQ(default_socket_path(), "/x/y.sock");
    ::unsetenv("SHMIFD_SOCKET");
    ::setenv("XDG_RUNTIME_DIR", "/run/user/5", 1);
    EXPECT_EQ(default_socket_path(), "/run/user/5/shmif/shmifd.sock");
    ::setenv("XDG_RUNTIME_DIR", "", 1);
    EXPECT_EQ(default_socket_path(), "/run/shmif/shmifd.sock");
    ::unsetenv("XDG_RUNTIME_DIR");
    EXPECT_EQ(default_socket_path(), "/run/shmif/shmifd.sock");
    if (socket) ::setenv("SHMIFD_SOCKET", socket->c_str(), 1);
    if (runtime) ::setenv("XDG_RUNTIME_DIR", runtime->c_str(), 1);
}

}  // namespace
}  // namespace shmifd::control
