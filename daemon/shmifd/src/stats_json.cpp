#include "stats_json.hpp"

#include "netstack/stats_fields.hpp"

namespace shmifd {

namespace {

// The field lists: fn(name, member) for every counter; the stack's live in netstack.
template <class S, class Fn>
void fields(S& s, Fn fn) requires requires {
    netstack::for_each_counter(s, fn);
}
{ netstack::for_each_counter(s, fn); }

template <class S, class Fn>
void fields(S& s, Fn fn) requires std::is_same_v<std::remove_const_t<S>, shmif::CursorStats> {
    fn("frames", s.frames);
    fn("bytes", s.bytes);
    fn("skipped_own", s.skipped_own);
    fn("overruns", s.overruns);
    fn("lost_frames", s.lost_frames);
    fn("lost_bytes", s.lost_bytes);
    fn("corrupt", s.corrupt);
    fn("truncated", s.truncated);
    fn("sleeps", s.sleeps);
}

template <class S, class Fn>
void fields(S& s, Fn fn) requires std::is_same_v<std::remove_const_t<S>, shmif::WriterStats> {
    fn("frames", s.frames);
    fn("bytes", s.bytes);
    fn("batches", s.batches);
    fn("lock_contended", s.lock_contended);
    fn("lock_recoveries", s.lock_recoveries);
    fn("wakeups", s.wakeups);
    fn("rejected", s.rejected);
}

template <class S>
void add(S& total, const S& part) {
    // Walk both field lists in step: the same order by construction.
    std::vector<std::uint64_t*> targets;
    fields(total, [&](const char*, std::uint64_t& v) { targets.push_back(&v); });
    std::size_t i = 0;
    fields(part, [&](const char*, const std::uint64_t& v) { *targets[i++] += v; });
}

template <class S>
nlohmann::json json_of(const S& s) {
    nlohmann::json j = nlohmann::json::object();
    fields(s, [&](const char* name, const std::uint64_t& v) { j[name] = v; });
    return j;
}

}  // namespace

void accumulate(netstack::EthernetStats& total, const netstack::EthernetStats& part) {
    add(total, part);
}

void accumulate(netstack::StackStats& total, const netstack::StackStats& part) {
    // Every counter of every group, walked in step from netstack's one list of groups, so a
    // group added there is summed here without a line of its own.
    std::vector<std::uint64_t*> targets;
    netstack::for_each_group(total, [&](const char*, auto& group) {
        fields(group, [&](const char*, std::uint64_t& v) { targets.push_back(&v); });
    });
    std::size_t i = 0;
    netstack::for_each_group(part, [&](const char*, const auto& group) {
        fields(group, [&](const char*, const std::uint64_t& v) { *targets[i++] += v; });
    });
}

void accumulate(shmif::CursorStats& total, const shmif::CursorStats& part) {
    add(total, part);
}
void accumulate(shmif::WriterStats& total, const shmif::WriterStats& part) {
    add(total, part);
}

nlohmann::json to_json(const netstack::EthernetStats& stats) {
    return json_of(stats);
}
nlohmann::json to_json(const shmif::CursorStats& stats) {
    return json_of(stats);
}
nlohmann::json to_json(const shmif::WriterStats& stats) {
    return json_of(stats);
}

nlohmann::json to_json(const netstack::StackStats& stats) {
    nlohmann::json j = nlohmann::json::object();
    netstack::for_each_group(
        stats, [&](const char* name, const auto& group) { j[name] = json_of(group); });
    return j;
}

}  // namespace shmifd
