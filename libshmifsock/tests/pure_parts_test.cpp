// The parts of libshmifsock that are pure functions: errno names, the datagram header,
// the daemon's socket names, request and reply lines.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "dgram_header.hpp"
#include "errno_names.hpp"
#include "inet_sockaddr.hpp"
#include "peer_name.hpp"
#include "reply.hpp"

namespace shmifsock {
namespace {

using shmif::test::inet;

TEST(ErrnoNames, MapsTheSocketErrorsBothWays) {
    for (const int number : {ECONNREFUSED, ETIMEDOUT, ECONNRESET, EPIPE, EADDRINUSE, ENETUNREACH,
                             EHOSTUNREACH, EINPROGRESS, EMFILE, ENOBUFS, EAGAIN}) {
        const auto name = errno_name(number);
        ASSERT_FALSE(name.empty()) << number;
        EXPECT_EQ(errno_from_name(name), number) << name;
    }
    EXPECT_EQ(errno_from_name("ECONNREFUSED"), ECONNREFUSED);
    EXPECT_EQ(errno_name(EADDRINUSE), "EADDRINUSE");
}

TEST(ErrnoNames, ReadsAliasesAndWritesCanonicalNames) {
    EXPECT_EQ(errno_from_name("EWOULDBLOCK"), EAGAIN);
    EXPECT_EQ(errno_from_name("ENOTSUP"), EOPNOTSUPP);
    EXPECT_EQ(errno_name(EWOULDBLOCK), "EAGAIN");
}

TEST(ErrnoNames, RefusesWhatLinuxDoesNotDefine) {
    EXPECT_FALSE(errno_from_name(""));
    EXPECT_FALSE(errno_from_name("econnrefused"));
    EXPECT_FALSE(errno_from_name("ENOTANERROR"));
    EXPECT_TRUE(errno_name(100000).empty());
}

TEST(ErrnoNames, EveryNumberLinuxNamesRoundTrips) {
    int named = 0;
    for (int number = 1; number < 140; ++number) {
        const auto name = errno_name(number);
        if (name.empty()) continue;
        ++named;
        EXPECT_EQ(errno_from_name(name), number) << name;
    }
    EXPECT_GE(named, 130);  // Linux has 133 (EDEADLOCK and EWOULDBLOCK are aliases)
}

TEST(DgramHeader, NoDestinationMeansTheConnectedPeer) {
    const auto header = header_for_destination(nullptr, 0);
    ASSERT_TRUE(header);
    EXPECT_EQ(header->family, 0);
    EXPECT_EQ(header->flags, 0u);
}

TEST(DgramHeader, CarriesTheDestinationInWireOrder) {
    const auto to = inet("10.0.0.2", 5353);
    const auto header = header_for_destination(reinterpret_cast<const sockaddr*>(&to), sizeof to);
    ASSERT_TRUE(header);
    EXPECT_EQ(header->family, AF_INET);
    EXPECT_EQ(header->port, htons(5353));
    const unsigned char expected[4] = {10, 0, 0, 2};
    EXPECT_EQ(std::memcmp(header->addr, expected, 4), 0);
    for (int i = 4; i < 16; ++i)
        EXPECT_EQ(header->addr[i], 0) << i;
}

TEST(DgramHeader, RefusesAddressesAsLinuxUdpDoes) {
    auto to = inet("10.0.0.2", 53);
    const auto* as_sockaddr = reinterpret_cast<const sockaddr*>(&to);
    EXPECT_EQ(header_for_destination(as_sockaddr, sizeof to - 1).error(), EINVAL);
    to.sin_family = AF_INET6;
    EXPECT_EQ(header_for_destination(as_sockaddr, sizeof to).error(), EAFNOSUPPORT);
    to.sin_family = AF_UNSPEC;  // Linux's UDP takes AF_UNSPEC as AF_INET
    ASSERT_TRUE(header_for_destination(as_sockaddr, sizeof to));
    EXPECT_EQ(header_for_destination(as_sockaddr, sizeof to)->family, AF_INET);
}

TEST(DgramHeader, SourceComesBackAsRecvfromGivesIt) {
    const auto from = inet("192.168.7.9", 4242);
    const auto header =
        header_for_destination(reinterpret_cast<const sockaddr*>(&from), sizeof from);
    ASSERT_TRUE(header);
    sockaddr_in out{};
    socklen_t len = sizeof out;
    source_from_header(*header, reinterpret_cast<sockaddr*>(&out), &len);
    EXPECT_EQ(len, sizeof(sockaddr_in));
    EXPECT_EQ(out.sin_family, AF_INET);
    EXPECT_EQ(out.sin_port, htons(4242));
    EXPECT_EQ(out.sin_addr.s_addr, from.sin_addr.s_addr);

    // A short buffer gets what fits and learns the full size.
    unsigned char small[4] = {0xee, 0xee, 0xee, 0xee};
    len = 2;
    source_from_header(*header, reinterpret_cast<sockaddr*>(small), &len);
    EXPECT_EQ(len, sizeof(sockaddr_in));
    EXPECT_EQ(small[2], 0xee);

    shmifsock_dgram none{};
    len = sizeof out;
    source_from_header(none, reinterpret_cast<sockaddr*>(&out), &len);
    EXPECT_EQ(len, 0u);
}

socklen_t abstract_name(sockaddr_un& address, const std::string& name) {
    address = {};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path + 1, name.data(), name.size());
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
}

TEST(PeerName, ParsesTheDaemonsNames) {
    sockaddr_un address;
    const auto len = abstract_name(address, "shmifd/00000000deadbeef/42");
    const auto name = parse_peer_name(address, len);
    ASSERT_TRUE(name);
    EXPECT_EQ(name->tag, 0xdeadbeefu);
    EXPECT_EQ(name->sock, 42u);
    EXPECT_EQ(parse_peer_name(address, abstract_name(address, "shmifd/FFFFFFFFFFFFFFFF/0"))->tag,
              ~std::uint64_t{0});
}

TEST(PeerName, RefusesEveryOtherName) {
    sockaddr_un address;
    for (const char* other :
         {"shmifd/deadbeef/42", "shmifd/00000000deadbeef/", "shmifd/00000000deadbeef/4x",
          "shmifd/00000000deadbeeg/1", "shmifd/00000000deadbeef", "shmifx/00000000deadbeef/1",
          "shmifd/00000000deadbeef/1/2", "shmifd/00000000deadbeef/-1", ""}) {
        EXPECT_FALSE(parse_peer_name(address, abstract_name(address, other))) << other;
    }
    // A path in the file system, even one that reads like a daemon's name.
    sockaddr_un path{};
    path.sun_family = AF_UNIX;
    std::strcpy(path.sun_path, "shmifd/00000000deadbeef/1");
    EXPECT_FALSE(parse_peer_name(path, sizeof path));
}

TEST(PeerName, ReadsItFromADescriptorsPeer) {
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    sockaddr_un address;
    const std::string name = "shmifd/0123456789abcdef/" + std::to_string(::getpid());
    const auto len = abstract_name(address, name);
    ASSERT_EQ(::bind(pair[1], reinterpret_cast<sockaddr*>(&address), len), 0)
        << std::strerror(errno);
    const auto found = peer_name_of(pair[0]);
    ASSERT_TRUE(found);
    ASSERT_TRUE(*found);
    EXPECT_EQ((*found)->tag, 0x0123456789abcdefu);
    EXPECT_EQ((*found)->sock, static_cast<std::uint64_t>(::getpid()));

    // The daemon's own end, a pipe: not a daemon socket; a closed descriptor: EBADF.
    EXPECT_FALSE(*peer_name_of(pair[1]));
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    EXPECT_FALSE(*peer_name_of(pipe_fds[0]));
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    EXPECT_EQ(peer_name_of(pipe_fds[0]).error(), EBADF);
    ::close(pair[0]);
    ::close(pair[1]);
}

TEST(Reply, RequestLinesAreProtocolOne) {
    const auto line = request_line(7, "sock.open", {{"type", "udp"}});
    ASSERT_EQ(line.back(), '\n');
    const auto request = nlohmann::json::parse(line);
    EXPECT_EQ(request["v"], 1);
    EXPECT_EQ(request["id"], 7);
    EXPECT_EQ(request["cmd"], "sock.open");
    EXPECT_EQ(request["args"]["type"], "udp");
}

TEST(Reply, GivesTheResultOfAnOkReply) {
    const auto result = parse_reply(R"({"v":1,"id":3,"ok":true,"result":{"sock":9}})", 3);
    ASSERT_TRUE(result);
    EXPECT_EQ((*result)["sock"], 9);
    EXPECT_TRUE(parse_reply(R"({"v":1,"id":3,"ok":true})", 3)->is_object());
}

TEST(Reply, GivesTheErrnoOfAFailedOne) {
    const auto refused = parse_reply(
        R"({"v":1,"id":4,"ok":false,"error":{"code":"failed","message":"connection refused","errno":"ECONNREFUSED"}})",
        4);
    EXPECT_EQ(refused.error(), ECONNREFUSED);
    EXPECT_EQ(parse_reply(R"({"v":1,"id":4,"ok":false,"error":{"code":"not_found"}})", 4).error(),
              EBADF);
    EXPECT_EQ(
        parse_reply(R"({"v":1,"id":4,"ok":false,"error":{"code":"invalid_args"}})", 4).error(),
        EINVAL);
    EXPECT_EQ(
        parse_reply(R"({"v":1,"id":4,"ok":false,"error":{"code":"unknown_command"}})", 4).error(),
        EOPNOTSUPP);
    // An errno name Linux lacks falls back to the code.
    EXPECT_EQ(
        parse_reply(R"({"v":1,"id":4,"ok":false,"error":{"code":"not_found","errno":"EBOGUS"}})", 4)
            .error(),
        EBADF);
    EXPECT_EQ(
        parse_reply(R"({"v":1,"id":null,"ok":false,"error":{"code":"too_large"}})", 4).error(),
        EIO);
}

TEST(Reply, RefusesWhatIsNotAReplyToThisRequest) {
    EXPECT_EQ(parse_reply("not json", 1).error(), EPROTO);
    EXPECT_EQ(parse_reply("[1]", 1).error(), EPROTO);
    EXPECT_EQ(parse_reply(R"({"v":2,"id":1,"ok":true})", 1).error(), EPROTO);
    EXPECT_EQ(parse_reply(R"({"v":1,"id":2,"ok":true})", 1).error(), EPROTO);
    EXPECT_EQ(parse_reply(R"({"v":1,"id":1})", 1).error(), EPROTO);
    EXPECT_EQ(parse_reply(R"({"v":1,"id":null,"ok":true})", 1).error(), EPROTO);
}

}  // namespace
}  // namespace shmifsock
