// netem's words, parsed and printed. The units follow iproute2's tc (tc_util.c): times
// default to microseconds, rates to bits per second, and "bps" means bytes per second.
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "impair/settings.hpp"

namespace shmif::impair {

namespace {

using Words = std::span<const std::string>;

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// A number and the text after it.
bool split_number(std::string_view word, double& value, std::string_view& unit) {
    const char* end = word.data() + word.size();
    auto [p, ec] = std::from_chars(word.data(), end, value);
    if (ec != std::errc() || !std::isfinite(value)) return false;
    unit = std::string_view(p, static_cast<std::size_t>(end - p));
    return true;
}

bool is_number(std::string_view word) {
    double v;
    std::string_view unit;
    return split_number(word, v, unit);
}

std::expected<std::chrono::nanoseconds, std::string> parse_time(std::string_view word) {
    double v;
    std::string_view unit;
    if (!split_number(word, v, unit) || v < 0)
        return std::unexpected("'" + std::string(word) + "' is not a time (e.g. 20ms, 500us)");
    const std::string u = lower(unit);
    double scale;
    if (u == "s" || u == "sec" || u == "secs")
        scale = 1e9;
    else if (u == "ms" || u == "msec" || u == "msecs")
        scale = 1e6;
    else if (u.empty() || u == "us" || u == "usec" || u == "usecs")
        scale = 1e3;
    else if (u == "ns" || u == "nsec" || u == "nsecs")
        scale = 1;
    else
        return std::unexpected("'" + std::string(word) + "': unknown time unit '" +
                               std::string(unit) + "' (s, ms, us, ns)");
    const double ns = v * scale;
    if (ns > 3600e9) return std::unexpected("'" + std::string(word) + "' is over an hour");
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(ns)));
}

std::expected<double, std::string> parse_percent(std::string_view word) {
    double v;
    std::string_view unit;
    if (!split_number(word, v, unit) || (!unit.empty() && unit != "%") || v < 0 || v > 100)
        return std::unexpected("'" + std::string(word) + "' is not a percentage (0% to 100%)");
    return v / 100;
}

std::expected<std::uint64_t, std::string> parse_rate(std::string_view word) {
    struct Unit {
        const char* name;
        double bits;
    };
    static constexpr Unit units[] = {
        {"bit", 1},
        {"kibit", 1024.},
        {"kbit", 1e3},
        {"mibit", 1048576.},
        {"mbit", 1e6},
        {"gibit", 1073741824.},
        {"gbit", 1e9},
        {"tibit", 1099511627776.},
        {"tbit", 1e12},
        {"bps", 8},
        {"kibps", 8 * 1024.},
        {"kbps", 8e3},
        {"mibps", 8 * 1048576.},
        {"mbps", 8e6},
        {"gibps", 8 * 1073741824.},
        {"gbps", 8e9},
        {"tibps", 8 * 1099511627776.},
        {"tbps", 8e12},
    };
    double v;
    std::string_view unit;
    if (!split_number(word, v, unit) || v <= 0)
        return std::unexpected("'" + std::string(word) + "' is not a rate (e.g. 100mbit)");
    double bits = -1;
    if (unit.empty()) {
        bits = v;
    } else {
        const std::string u = lower(unit);
        for (const Unit& known : units)
            if (u == known.name) bits = v * known.bits;
    }
    if (bits < 0)
        return std::unexpected("'" + std::string(word) + "': unknown rate unit '" +
                               std::string(unit) + "' (bit, kbit, mbit, gbit, bps, ...)");
    if (bits < 1 || bits > 1e15)
        return std::unexpected("'" + std::string(word) + "' is out of range (1bit to 1000tbit)");
    return static_cast<std::uint64_t>(std::llround(bits));
}

std::expected<std::uint64_t, std::string> parse_count(std::string_view word, std::uint64_t max) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(word.data(), word.data() + word.size(), v);
    if (ec != std::errc() || p != word.data() + word.size() || v > max)
        return std::unexpected("'" + std::string(word) + "' is not a whole number up to " +
                               std::to_string(max));
    return v;
}

class Parser {
  public:
    explicit Parser(Words w) : w_(w) {}

    std::expected<Settings, std::string> run() {
        while (i_ < w_.size()) {
            const std::string key = lower(w_[i_++]);
            std::expected<void, std::string> done;
            if (key == "delay" || key == "latency")
                done = delay();
            else if (key == "distribution")
                done = distribution();
            else if (key == "loss" || key == "drop")
                done = loss();
            else if (key == "duplicate")
                done = chance(s_.duplicate, "duplicate");
            else if (key == "corrupt")
                done = chance(s_.corrupt, "corrupt");
            else if (key == "reorder")
                done = reorder();
            else if (key == "gap")
                done = count_into(s_.reorder_gap, "gap");
            else if (key == "rate")
                done = rate();
            else if (key == "limit")
                done = count_into(s_.limit, "limit");
            else if (key == "seed")
                done = seed();
            else if (key == "slot" || key == "ecn" || key == "state")
                return std::unexpected("'" + key + "' is not supported");
            else
                return std::unexpected(
                    "unknown word '" + w_[i_ - 1] +
                    "' (delay, distribution, loss, duplicate, corrupt, reorder, gap, rate, "
                    "limit, seed)");
            if (!done) return std::unexpected(done.error());
        }
        if (s_.reorder.probability > 0 && s_.delay.time.count() == 0 &&
            s_.delay.jitter.count() == 0)
            return std::unexpected(
                "reorder needs a delay: reordered frames are those that skip it");
        if (s_.reorder.probability > 0 && s_.reorder_gap == 0) s_.reorder_gap = 1;  // as tc
        if (s_.limit == 0) return std::unexpected("limit must be at least 1 frame");
        return s_;
    }

  private:
    bool next_is_number() const { return i_ < w_.size() && is_number(w_[i_]); }
    std::expected<std::string, std::string> take(const char* what) {
        if (i_ >= w_.size()) return std::unexpected(std::string(what) + " needs a value");
        return w_[i_++];
    }

    std::expected<void, std::string> delay() {
        auto t = take("delay");
        if (!t) return std::unexpected(t.error());
        auto time = parse_time(*t);
        if (!time) return std::unexpected("delay: " + time.error());
        s_.delay.time = *time;
        if (next_is_number()) {
            auto jitter = parse_time(w_[i_++]);
            if (!jitter) return std::unexpected("delay jitter: " + jitter.error());
            s_.delay.jitter = *jitter;
            if (next_is_number()) {
                auto c = parse_percent(w_[i_++]);
                if (!c) return std::unexpected("delay correlation: " + c.error());
                s_.delay.correlation = *c;
            }
        }
        return {};
    }

    std::expected<void, std::string> distribution() {
        auto t = take("distribution");
        if (!t) return std::unexpected(t.error());
        const std::string d = lower(*t);
        if (d == "uniform")
            s_.delay.distribution = Distribution::uniform;
        else if (d == "normal")
            s_.delay.distribution = Distribution::normal;
        else if (d == "pareto")
            s_.delay.distribution = Distribution::pareto;
        else if (d == "paretonormal")
            s_.delay.distribution = Distribution::paretonormal;
        else
            return std::unexpected("unknown distribution '" + *t +
                                   "' (uniform, normal, pareto, paretonormal)");
        return {};
    }

    std::expected<void, std::string> loss() {
        if (i_ < w_.size() && lower(w_[i_]) == "random") ++i_;
        if (i_ < w_.size() && lower(w_[i_]) == "gemodel") {
            ++i_;
            return gemodel();
        }
        Chance c;
        if (auto done = chance(c, "loss"); !done) return done;
        s_.loss.probability = c.probability;
        s_.loss.correlation = c.correlation;
        s_.loss.gemodel.reset();
        return {};
    }

    std::expected<void, std::string> gemodel() {
        auto t = take("loss gemodel");
        if (!t) return std::unexpected(t.error());
        auto p = parse_percent(*t);
        if (!p) return std::unexpected("loss gemodel p: " + p.error());
        GilbertElliott ge{.p = *p, .r = 1 - *p, .one_minus_h = 1, .one_minus_k = 0};
        double* rest[] = {&ge.r, &ge.one_minus_h, &ge.one_minus_k};
        const char* names[] = {"r", "1-h", "1-k"};
        for (int k = 0; k < 3 && next_is_number(); ++k) {
            auto v = parse_percent(w_[i_++]);
            if (!v)
                return std::unexpected(std::string("loss gemodel ") + names[k] + ": " + v.error());
            *rest[k] = *v;
        }
        s_.loss = Loss{.gemodel = ge};
        return {};
    }

    std::expected<void, std::string> chance(Chance& c, const char* what) {
        auto t = take(what);
        if (!t) return std::unexpected(t.error());
        auto p = parse_percent(*t);
        if (!p) return std::unexpected(std::string(what) + ": " + p.error());
        c.probability = *p;
        c.correlation = 0;
        if (next_is_number()) {
            auto corr = parse_percent(w_[i_++]);
            if (!corr) return std::unexpected(std::string(what) + " correlation: " + corr.error());
            c.correlation = *corr;
        }
        return {};
    }

    std::expected<void, std::string> reorder() {
        if (auto done = chance(s_.reorder, "reorder"); !done) return done;
        return {};
    }

    std::expected<void, std::string> rate() {
        auto t = take("rate");
        if (!t) return std::unexpected(t.error());
        auto r = parse_rate(*t);
        if (!r) return std::unexpected("rate: " + r.error());
        s_.rate_bps = *r;
        return {};
    }

    std::expected<void, std::string> count_into(std::uint32_t& out, const char* what) {
        auto t = take(what);
        if (!t) return std::unexpected(t.error());
        auto v = parse_count(*t, 10'000'000);
        if (!v) return std::unexpected(std::string(what) + ": " + v.error());
        out = static_cast<std::uint32_t>(*v);
        return {};
    }

    std::expected<void, std::string> seed() {
        auto t = take("seed");
        if (!t) return std::unexpected(t.error());
        auto v = parse_count(*t, UINT64_MAX);
        if (!v) return std::unexpected("seed: " + v.error());
        s_.seed = *v;
        return {};
    }

    Words w_;
    std::size_t i_ = 0;
    Settings s_;
};

std::string number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

std::string percent(double fraction) {
    return number(fraction * 100) + "%";
}

std::string time_words(std::chrono::nanoseconds t) {
    const auto ns = t.count();
    if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
    if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
    return std::to_string(ns) + "ns";
}

std::string rate_words(std::uint64_t bps) {
    if (bps % 1'000'000'000 == 0) return std::to_string(bps / 1'000'000'000) + "gbit";
    if (bps % 1'000'000 == 0) return std::to_string(bps / 1'000'000) + "mbit";
    if (bps % 1'000 == 0) return std::to_string(bps / 1'000) + "kbit";
    return std::to_string(bps) + "bit";
}

void add_chance(std::string& out, const char* name, const Chance& c) {
    if (c.probability <= 0) return;
    out += std::string(" ") + name + " " + percent(c.probability);
    if (c.correlation > 0) out += " " + percent(c.correlation);
}

}  // namespace

bool Settings::none() const {
    return immediate() && loss.probability <= 0 && !loss.gemodel && duplicate.probability <= 0 &&
           corrupt.probability <= 0;
}

bool Settings::immediate() const {
    return delay.time.count() == 0 && delay.jitter.count() == 0 && rate_bps == 0;
}

std::expected<Settings, std::string> parse_netem(Words words) {
    if (words.size() == 1 && lower(words[0]) == "none") return Settings{};
    return Parser(words).run();
}

std::expected<Settings, std::string> parse_netem(std::string_view text) {
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
            ++i;
        const std::size_t start = i;
        while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])))
            ++i;
        if (i > start) words.emplace_back(text.substr(start, i - start));
    }
    return parse_netem(Words(words));
}

const char* distribution_name(Distribution d) {
    switch (d) {
        case Distribution::uniform:
            return "uniform";
        case Distribution::normal:
            return "normal";
        case Distribution::pareto:
            return "pareto";
        case Distribution::paretonormal:
            return "paretonormal";
    }
    return "?";
}

std::string format_netem(const Settings& s) {
    std::string out;
    if (s.delay.time.count() > 0 || s.delay.jitter.count() > 0) {
        out += " delay " + time_words(s.delay.time);
        if (s.delay.jitter.count() > 0) {
            out += " " + time_words(s.delay.jitter);
            if (s.delay.correlation > 0) out += " " + percent(s.delay.correlation);
            if (s.delay.distribution != Distribution::uniform)
                out += std::string(" distribution ") + distribution_name(s.delay.distribution);
        }
    }
    if (s.loss.gemodel) {
        const GilbertElliott& ge = *s.loss.gemodel;
        out += " loss gemodel " + percent(ge.p) + " " + percent(ge.r) + " " +
               percent(ge.one_minus_h) + " " + percent(ge.one_minus_k);
    } else {
        add_chance(out, "loss", {s.loss.probability, s.loss.correlation});
    }
    add_chance(out, "duplicate", s.duplicate);
    add_chance(out, "corrupt", s.corrupt);
    add_chance(out, "reorder", s.reorder);
    if (s.reorder.probability > 0 && s.reorder_gap > 1)
        out += " gap " + std::to_string(s.reorder_gap);
    if (s.rate_bps > 0) out += " rate " + rate_words(s.rate_bps);
    if (s.limit != Settings{}.limit) out += " limit " + std::to_string(s.limit);
    if (s.seed) out += " seed " + std::to_string(*s.seed);
    return out.empty() ? "none" : out.substr(1);
}

}  // namespace shmif::impair
