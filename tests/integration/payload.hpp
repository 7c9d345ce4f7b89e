// Self-checking frame payloads for the integration tests and their peer processes.
//
// A payload opens with a PayloadHeader naming its writer and that writer's sequence number;
// every byte after it is a pattern derived from (writer, seq, index). A frame that was torn,
// half written, or stitched from two frames fails check_payload(), whatever its length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace shmif::test {

inline constexpr std::uint32_t kPayloadMagic = 0x5445534d;  // "MSET"

struct PayloadHeader {
    std::uint32_t magic;
    std::uint32_t writer;
    std::uint64_t seq;
    std::uint32_t len;   // the whole payload, header included
    std::uint32_t salt;  // mixes the pattern, so equal (writer, seq) from two runs differ
};
static_assert(sizeof(PayloadHeader) == 24);
inline constexpr std::size_t kMinPayload = sizeof(PayloadHeader);

inline std::uint64_t mix64(std::uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

inline std::byte pattern_byte(std::uint64_t key, std::size_t i) {
    const std::uint64_t word = mix64(key + (i >> 3));
    return static_cast<std::byte>(word >> ((i & 7U) * 8U));
}

inline std::uint64_t pattern_key(std::uint32_t writer, std::uint64_t seq, std::uint32_t salt) {
    return mix64((std::uint64_t{writer} << 40) ^ seq ^ (std::uint64_t{salt} << 20));
}

// A deterministic length in [min_len, max_len] for frame `seq` of `writer`.
inline std::size_t payload_len(std::uint32_t writer, std::uint64_t seq, std::size_t min_len,
                               std::size_t max_len) {
    if (max_len <= min_len) return min_len;
    return min_len + mix64(std::uint64_t{writer} * 1000003ULL + seq) % (max_len - min_len + 1);
}

// Fills `out` (at least kMinPayload bytes) with the payload for (writer, seq).
inline void fill_payload(std::span<std::byte> out, std::uint32_t writer, std::uint64_t seq,
                         std::uint32_t salt = 0) {
    PayloadHeader h{kPayloadMagic, writer, seq, static_cast<std::uint32_t>(out.size()), salt};
    std::memcpy(out.data(), &h, sizeof h);
    const std::uint64_t key = pattern_key(writer, seq, salt);
    for (std::size_t i = sizeof h; i < out.size(); ++i)
        out[i] = pattern_byte(key, i);
}

struct Decoded {
    bool ok = false;
    std::uint32_t writer = 0;
    std::uint64_t seq = 0;
};

// Checks a received payload end to end: magic, the length it claims, and every pattern byte.
inline Decoded check_payload(std::span<const std::byte> data) {
    Decoded d;
    if (data.size() < sizeof(PayloadHeader)) return d;
    PayloadHeader h{};
    std::memcpy(&h, data.data(), sizeof h);
    if (h.magic != kPayloadMagic || h.len != data.size()) return d;
    const std::uint64_t key = pattern_key(h.writer, h.seq, h.salt);
    for (std::size_t i = sizeof h; i < data.size(); ++i)
        if (data[i] != pattern_byte(key, i)) return d;
    d.ok = true;
    d.writer = h.writer;
    d.seq = h.seq;
    return d;
}

// What a peer writes back: a fixed record, then (for readers) the (writer, seq) pairs it
// received, in the order it received them.
struct PeerReport {
    std::uint64_t frames = 0;  // delivered by the cursor
    std::uint64_t bad = 0;     // payloads that failed check_payload()
    std::uint64_t overruns = 0;
    std::uint64_t lost_frames = 0;
    std::uint64_t lost_bytes = 0;
    std::uint64_t corrupt = 0;
    std::uint64_t truncated = 0;
    std::uint64_t sleeps = 0;
    std::uint64_t sent = 0;  // writer side
    std::uint64_t wakeups = 0;
    std::uint64_t lock_recoveries = 0;
    std::uint64_t wait_ns = 0;   // wait peer: how long receive_wait took
    std::uint64_t complete = 0;  // 1 when the peer finished its job before its deadline
    std::uint64_t count = 0;     // WriterSeq records that follow
};

struct WriterSeq {
    std::uint32_t writer;
    std::uint32_t pad;
    std::uint64_t seq;
};

}  // namespace shmif::test
