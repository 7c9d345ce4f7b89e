// The parts of libshmifsock that are pure functions: errno names, socket addresses of both
// families, the datagram header, the daemon's socket names, request and reply lines.
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
#include "inet_address.hpp"
#include "inet_sockaddr.hpp"
#include "peer_name.hpp"
#include "reply.hpp"

namespace shmifsock {
namespace {

using shmif::test::as_sockaddr;
using shmif::test::inet;
using shmif::test::inet6;
using shmif::test::text_of;

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
    const auto header = header_for_destination(AF_INET, nullptr, 0);
    ASSERT_TRUE(header);
    EXPECT_EQ(header->family, 0);
    EXPECT_EQ(header->flags, 0u);
}

TEST(DgramHeader, CarriesTheDestinationInWireOrder) {
    const auto to = inet("10.0.0.2", 5353);
    const auto header =
        header_for_destination(AF_INET, reinterpret_cast<const sockaddr*>(&to), sizeof to);
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
    const auto* to_address = reinterpret_cast<const sockaddr*>(&to);
    EXPECT_EQ(header_for_destination(AF_INET, to_address, sizeof to - 1).error(), EINVAL);
    to.sin_family = AF_INET6;
    EXPECT_EQ(header_for_destination(AF_INET, to_address, sizeof to).error(), EAFNOSUPPORT);
    to.sin_family = AF_UNSPEC;  // Linux's UDP takes AF_UNSPEC as AF_INET
    ASSERT_TRUE(header_for_destination(AF_INET, to_address, sizeof to));
    EXPECT_EQ(header_for_destination(AF_INET, to_address, sizeof to)->family, AF_INET);
}

TEST(DgramHeader, SourceComesBackAsRecvfromGivesIt) {
    const auto from = inet("192.168.7.9", 4242);
    const auto header =
        header_for_destination(AF_INET, reinterpret_cast<const sockaddr*>(&from), sizeof from);
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

// Linux's inet6 checks (inet6_bind, tcp_v6_connect, __ip6_datagram_connect, udpv6_sendmsg):
// RFC 2133's 24 bytes are enough, the family decides before the length only where Linux
// looks at it first.
TEST(InetAddress, Inet6AddressesAreCheckedAsLinuxDoes) {
    const auto mapped = inet6("::ffff:10.0.0.2", 80);
    const auto* address = as_sockaddr(mapped);
    const auto whole = inet_address(AF_INET6, address, sizeof mapped, AddressUse::bind);
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->family, AF_INET6);
    EXPECT_EQ(whole->port, 80);
    EXPECT_EQ(address_text(*whole), "::ffff:10.0.0.2");
    EXPECT_EQ(inet_address(AF_INET6, address, 24, AddressUse::bind), whole);
    EXPECT_EQ(inet_address(AF_INET6, address, 23, AddressUse::bind).error(), EINVAL);
    EXPECT_EQ(inet_address(AF_INET6, nullptr, sizeof mapped, AddressUse::bind).error(), EFAULT);

    auto wrong = mapped;
    wrong.sin6_family = AF_UNIX;
    for (const auto use : {AddressUse::bind, AddressUse::connect_stream, AddressUse::connect_dgram})
        EXPECT_EQ(inet_address(AF_INET6, as_sockaddr(wrong), sizeof wrong, use).error(),
                  EAFNOSUPPORT);
    EXPECT_EQ(inet_address(AF_INET6, as_sockaddr(wrong), sizeof wrong, AddressUse::send).error(),
              EINVAL);

    // A sockaddr_in: UDP connect and send take it (as IPv4), bind and TCP connect do not.
    const auto v4 = inet("10.0.0.2", 53);
    for (const auto use : {AddressUse::connect_dgram, AddressUse::send}) {
        const auto taken = inet_address(AF_INET6, as_sockaddr(v4), sizeof v4, use);
        ASSERT_TRUE(taken);
        EXPECT_EQ(taken->family, AF_INET);
        EXPECT_EQ(address_text(*taken), "10.0.0.2");
    }
    EXPECT_EQ(inet_address(AF_INET6, as_sockaddr(v4), sizeof v4, AddressUse::bind).error(), EINVAL);
    EXPECT_EQ(
        inet_address(AF_INET6, as_sockaddr(v4), sizeof v4, AddressUse::connect_stream).error(),
        EINVAL);

    // An AF_INET socket refuses a sockaddr_in6 for every use.
    for (const auto use : {AddressUse::bind, AddressUse::connect_stream, AddressUse::connect_dgram,
                           AddressUse::send})
        EXPECT_EQ(inet_address(AF_INET, address, sizeof mapped, use).error(), EAFNOSUPPORT);
}

TEST(InetAddress, FlowinfoAndScopeAreIgnoredAndNeverGivenBack) {
    auto in = inet6("2001:db8::1", 443);
    in.sin6_flowinfo = htonl(0x12345);
    in.sin6_scope_id = 7;
    const auto address = inet_address(AF_INET6, as_sockaddr(in), sizeof in, AddressUse::bind);
    ASSERT_TRUE(address);
    sockaddr_in6 out;
    std::memset(&out, 0xee, sizeof out);
    socklen_t len = sizeof out;
    ASSERT_EQ(copy_out(*address, reinterpret_cast<sockaddr*>(&out), &len), 0);
    EXPECT_EQ(len, sizeof(sockaddr_in6));
    EXPECT_EQ(out.sin6_family, AF_INET6);
    EXPECT_EQ(ntohs(out.sin6_port), 443);
    EXPECT_EQ(out.sin6_flowinfo, 0u);
    EXPECT_EQ(out.sin6_scope_id, 0u);
    EXPECT_EQ(text_of(out), "2001:db8::1");

    // Truncated as getsockname does: what fits, and the full size.
    unsigned char small[8];
    std::memset(small, 0xee, sizeof small);
    len = 4;
    ASSERT_EQ(copy_out(*address, reinterpret_cast<sockaddr*>(small), &len), 0);
    EXPECT_EQ(len, sizeof(sockaddr_in6));
    EXPECT_EQ(small[4], 0xee);
    len = static_cast<socklen_t>(-1);
    EXPECT_EQ(copy_out(*address, reinterpret_cast<sockaddr*>(small), &len), EINVAL);
}

// EP as the daemon writes it.
nlohmann::json endpoint(const char* addr, unsigned port) {  // the daemon writes ports unsigned
    return nlohmann::json::object({{"addr", addr}, {"port", port}});
}

TEST(InetAddress, EndpointsAreShownInTheSocketsFamily) {
    const auto mapped = from_endpoint(endpoint("10.0.0.2", 80), AF_INET6);
    ASSERT_TRUE(mapped);
    EXPECT_EQ(mapped->family, AF_INET6);
    EXPECT_EQ(address_text(*mapped), "::ffff:10.0.0.2");
    const auto v6 = from_endpoint(endpoint("::ffff:10.0.0.2", 80), AF_INET6);
    EXPECT_EQ(v6, mapped);
    const auto v4 = from_endpoint(endpoint("10.0.0.2", 80), AF_INET);
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->family, AF_INET);
    EXPECT_EQ(from_endpoint(endpoint("::1", 80), AF_INET).error(), EPROTO);
    EXPECT_EQ(from_endpoint(endpoint("::g", 80), AF_INET6).error(), EPROTO);
    EXPECT_EQ(from_endpoint(endpoint("::1", 70000), AF_INET6).error(), EPROTO);
    EXPECT_EQ(from_endpoint(nullptr, AF_INET6).error(), ENOTCONN);
    EXPECT_EQ(address_text(any_address(AF_INET6)), "::");
    EXPECT_EQ(address_text(any_address(AF_INET)), "0.0.0.0");
}

TEST(DgramHeader, Inet6CarriesSixteenBytesAndFamilyTen) {
    const auto to = inet6("2001:db8::2", 5353);
    const auto header = header_for_destination(AF_INET6, as_sockaddr(to), sizeof to);
    ASSERT_TRUE(header);
    EXPECT_EQ(header->family, 10);
    EXPECT_EQ(header->port, htons(5353));
    EXPECT_EQ(std::memcmp(header->addr, &to.sin6_addr, 16), 0);

    sockaddr_in6 out{};
    socklen_t len = sizeof out;
    source_from_header(*header, reinterpret_cast<sockaddr*>(&out), &len);
    EXPECT_EQ(len, sizeof(sockaddr_in6));
    EXPECT_EQ(out.sin6_family, AF_INET6);
    EXPECT_EQ(text_of(out), "2001:db8::2");
    EXPECT_EQ(ntohs(out.sin6_port), 5353);

    // udpv6_sendmsg: AF_UNSPEC is no address (the connected peer), other families EINVAL.
    auto unspec = to;
    unspec.sin6_family = AF_UNSPEC;
    EXPECT_EQ(header_for_destination(AF_INET6, as_sockaddr(unspec), sizeof unspec)->family, 0);
    EXPECT_EQ(header_for_destination(AF_INET6, as_sockaddr(to), 23).error(), EINVAL);
    EXPECT_EQ(header_for_destination(AF_INET, as_sockaddr(to), sizeof to).error(), EAFNOSUPPORT);
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
    EXPECT_EQ(name->domain, AF_INET);
    const auto inet6_name =
        parse_peer_name(address, abstract_name(address, "shmifd/00000000deadbeef/42/6"));
    ASSERT_TRUE(inet6_name);
    EXPECT_EQ(inet6_name->sock, 42u);
    EXPECT_EQ(inet6_name->domain, AF_INET6);
}

TEST(PeerName, RefusesEveryOtherName) {
    sockaddr_un address;
    for (const char* other :
         {"shmifd/deadbeef/42", "shmifd/00000000deadbeef/", "shmifd/00000000deadbeef/4x",
          "shmifd/00000000deadbeeg/1", "shmifd/00000000deadbeef", "shmifx/00000000deadbeef/1",
          "shmifd/00000000deadbeef/1/2", "shmifd/00000000deadbeef/-1", "shmifd/00000000deadbeef//6",
          "shmifd/00000000deadbeef/1/6/6", "shmifd/00000000deadbeef/1/4", ""}) {
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
