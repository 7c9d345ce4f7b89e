#include "tcp/syn_cookie.hpp"

#include <algorithm>
#include <array>
#include <chrono>

namespace netstack::tcp {

namespace {

// The MSS classes a cookie can say (3 bits): common Ethernet, tunnel, jumbo and bus values.
constexpr std::array<std::uint16_t, 8> mss_classes = {536,  1220, 1440,  1460,
                                                      4312, 8960, 16384, 65495};

std::uint32_t counter_at(Instant now) {
    return static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() / 64);
}

constexpr std::uint32_t ts_bits_mask = 0x1f;
constexpr std::uint32_t ts_no_scale = 0xf;
constexpr std::uint32_t ts_sack = 0x10;

}  // namespace

std::uint32_t cookie_timestamp(std::uint32_t now_ts, const CookieOptions& options) {
    std::uint32_t bits =
        options.window_scale ? std::min<std::uint32_t>(*options.window_scale, 14) : ts_no_scale;
    if (options.sack_permitted) bits |= ts_sack;
    std::uint32_t ts = (now_ts & ~ts_bits_mask) | bits;
    // Never ahead of our clock (the peer's PAWS sees later values only grow).
    if (static_cast<std::int32_t>(ts - now_ts) > 0) ts -= ts_bits_mask + 1;
    return ts;
}

CookieOptions cookie_timestamp_options(std::uint32_t echo) {
    CookieOptions options;
    const std::uint32_t scale = echo & ts_no_scale;
    if (scale != ts_no_scale) options.window_scale = static_cast<std::uint8_t>(scale);
    options.sack_permitted = (echo & ts_sack) != 0;
    return options;
}

std::uint32_t SynCookies::hash(const FourTuple& tuple, std::uint32_t peer_isn,
                               std::uint32_t counter, std::uint32_t mss_class) const {
    const std::uint64_t salt = std::uint64_t{peer_isn} << 8 | (counter & 0x1f) << 3 | mss_class;
    return static_cast<std::uint32_t>(
               hash_four_tuple(key_, tuple.local, tuple.remote, salt | 2ull << 40)) &
           0xffffff;
}

std::uint32_t SynCookies::make(const FourTuple& tuple, std::uint32_t peer_isn, std::uint16_t mss,
                               Instant now) const {
    std::uint32_t mss_class = 0;
    for (std::uint32_t i = 0; i < mss_classes.size(); ++i)
        if (mss_classes[i] <= mss) mss_class = i;
    const std::uint32_t counter = counter_at(now);
    return (counter & 0x1f) << 27 | mss_class << 24 | hash(tuple, peer_isn, counter, mss_class);
}

std::optional<std::uint16_t> SynCookies::check(const FourTuple& tuple, std::uint32_t peer_isn,
                                               std::uint32_t cookie, Instant now) const {
    const std::uint32_t mss_class = (cookie >> 24) & 7;
    const std::uint32_t now_counter = counter_at(now);
    for (std::uint32_t age = 0; age < 2; ++age) {
        const std::uint32_t counter = now_counter - age;
        if ((counter & 0x1f) == cookie >> 27 &&
            hash(tuple, peer_isn, counter, mss_class) == (cookie & 0xffffff))
            return mss_classes[mss_class];
    }
    return std::nullopt;
}

}  // namespace netstack::tcp
