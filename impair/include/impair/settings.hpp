// What an impairment does to frames, in Linux netem's model and words (tc-netem(8)):
// delay with jitter, correlation and a distribution; random or Gilbert-Elliott loss;
// duplication; corruption; reordering; a rate limit with a bounded queue. Probabilities are
// fractions in [0, 1] here and per cent in netem's words.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace shmif::impair {

enum class Distribution { uniform, normal, pareto, paretonormal };

struct Delay {
    std::chrono::nanoseconds time{0};
    std::chrono::nanoseconds jitter{0};
    double correlation = 0;  // of successive jitter draws, netem's crude correlation
    Distribution distribution = Distribution::uniform;
    bool operator==(const Delay&) const = default;
};

// netem's `loss gemodel P [R [1-H [1-K]]]`: a good and a bad state; P moves good to bad,
// R bad to good; a frame is lost with 1-H in the bad state and 1-K in the good one.
struct GilbertElliott {
    double p = 0;
    double r = 1;
    double one_minus_h = 1;
    double one_minus_k = 0;
    bool operator==(const GilbertElliott&) const = default;
};

struct Loss {
    double probability = 0;  // random loss
    double correlation = 0;
    std::optional<GilbertElliott> gemodel;  // replaces random loss when set
    bool operator==(const Loss&) const = default;
};

// A per-frame chance with netem's correlation (duplicate, corrupt, reorder).
struct Chance {
    double probability = 0;
    double correlation = 0;
    bool operator==(const Chance&) const = default;
};

struct Settings {
    Delay delay;
    Loss loss;
    Chance duplicate;
    Chance corrupt;
    Chance reorder;                     // needs a delay: reordered frames skip it
    std::uint32_t reorder_gap = 0;      // netem's `gap`: only every Nth frame may skip (0: any)
    std::uint64_t rate_bps = 0;         // bits per second on the way out; 0: unlimited
    std::uint32_t limit = 1000;         // frames waiting at most (netem's default); drop-tail
    std::optional<std::uint64_t> seed;  // netem's `seed`: the same drops on every run

    // True when no frame would be touched, delayed or dropped.
    bool none() const;
    // True when frames leave as soon as they arrive (no delay, no rate): nothing is queued.
    bool immediate() const;
    bool operator==(const Settings&) const = default;
};

// Parses netem's words, e.g. "delay 20ms 5ms 25% distribution normal loss 1% rate 100mbit".
// Accepts what tc-netem accepts for these controls (times in s/ms/us/ns, "usec" and the
// like, bare numbers in microseconds; per cent with or without '%'; rates in tc's units,
// bare numbers in bits per second) plus `seed N`. Errors name the word at fault.
std::expected<Settings, std::string> parse_netem(std::string_view text);
std::expected<Settings, std::string> parse_netem(std::span<const std::string> words);

// The settings in netem's words, in a fixed order; parse_netem(format_netem(s)) == s up to
// the precision printed. "none" when nothing is set.
std::string format_netem(const Settings& s);

const char* distribution_name(Distribution d);

}  // namespace shmif::impair
