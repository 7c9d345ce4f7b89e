// Fuzz target: arbitrary text as netem's words (what shmifctl impair set, the config file and
// shmiflink pass on). Whatever parses must print to words that parse again to the same
// printout, and an engine built from it must take and release frames without trouble.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "impair/impairment.hpp"
#include "impair/settings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto settings = shmif::impair::parse_netem(text);
    if (!settings) {
        if (settings.error().empty()) std::abort();  // every refusal says why
        return 0;
    }
    const std::string printed = shmif::impair::format_netem(*settings);
    const auto again = shmif::impair::parse_netem(printed);
    if (!again || shmif::impair::format_netem(*again) != printed) std::abort();

    shmif::impair::Impairment engine(*settings, size);
    const std::byte frame[64]{};
    auto now = shmif::impair::Instant{std::chrono::seconds(1)};
    std::size_t out = 0;
    for (int i = 0; i < 32; ++i) {
        engine.offer({frame, 1 + static_cast<std::size_t>(i) % sizeof frame}, now);
        out += engine.release(now, [](std::span<const std::byte>) {});
        now += std::chrono::microseconds(100);
    }
    // Far in the future everything held has left (delays are capped at an hour; pareto's
    // tail at about 22 jitters; the rate's queue at `limit` frames of at most 64 bytes).
    out += engine.release(now + std::chrono::hours(24 * 365), [](std::span<const std::byte>) {});
    const auto c = engine.counters();
    if (c.queued != 0 || c.frames_out != out) std::abort();
    if (c.frames_in + c.duplicated != c.frames_out + c.dropped_loss + c.dropped_queue) std::abort();
    return 0;
}
