// --stats: every counter by name, one group per line, zeros included (a zero is an answer).
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "host.hpp"
#include "netstack/stats_fields.hpp"

namespace shmifhost {
namespace {

using Field = std::pair<const char*, std::uint64_t>;

std::string group(const char* name, const std::vector<Field>& fields) {
    std::string line = fmt::format("  {}:", name);
    for (const auto& [key, value] : fields)
        line += fmt::format(" {}={}", key, value);
    return line + "\n";
}

}  // namespace

std::string stats_report(const Host& host) {
    const netstack::StackStats& s = host.stack_stats();
    const auto& d = host.device().stats();
    const auto& w = host.device().writer_stats();
    const auto& p = host.port().stats();
    std::string out = "shmifhost: statistics\n";
    netstack::for_each_group(s, [&](const char* name, const auto& counters) {
        std::vector<Field> fields;
        netstack::for_each_counter(counters, [&](const char* key, std::uint64_t value) {
            fields.emplace_back(key, value);
        });
        out += group(name, fields);
    });
    out += group("bus_device", {{"queued", d.queued},
                                {"batches", d.batches},
                                {"sent", d.sent},
                                {"dropped_batch_full", d.dropped_batch_full},
                                {"dropped_too_large", d.dropped_too_large},
                                {"dropped_send_error", d.dropped_send_error},
                                {"lock_contended", w.lock_contended},
                                {"lock_recoveries", w.lock_recoveries}});
    const auto& cs = host.cursor_stats();
    out += group("bus_port", {{"frames", p.frames},
                              {"truncated", p.truncated},
                              {"overruns", cs.overruns},
                              {"lost_frames", cs.lost_frames},
                              {"corrupt", cs.corrupt}});
    return out;
}

}  // namespace shmifhost
