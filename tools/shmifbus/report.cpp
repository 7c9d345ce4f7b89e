#include "report.hpp"

#include <fmt/format.h>

#include <chrono>
#include <utility>
#include <vector>

#include "units.hpp"

namespace shmifbus {

std::string version_string(const shmif::BusInfo& info) {
    if (info.format == shmif::Format::netbsd) return std::to_string(info.version);
    return fmt::format("{}.{}", info.version >> 16, info.version & 0xffffU);
}

std::string lock_string(const shmif::BusInfo& info) {
    if (!info.locked) return "free";
    if (info.format == shmif::Format::netbsd) return "held (NetBSD buses do not record by whom)";
    if (info.lock_owner_tid == 0) return "held by an unknown thread";
    if (info.lock_owner_dead)
        return fmt::format("held by tid {}, which is dead (the next writer takes it over)",
                           info.lock_owner_tid);
    const double ms = static_cast<double>(info.lock_held_ns) / 1e6;
    const std::string who =
        fmt::format("tid {} of pid {}", info.lock_owner_tid, info.lock_owner_pid);
    if (info.lock_owner_state == 'R')
        return fmt::format("held by {} (running) for {:.1f} ms", who, ms);
    return fmt::format("held by {} (state {}, not running: STALLED) for {:.1f} ms", who,
                       info.lock_owner_state == 0 ? '?' : info.lock_owner_state, ms);
}

std::string holes_string(const shmif::BusInfo& info) {
    if (info.holes.empty()) return "none";
    std::string out;
    for (const auto& hole : info.holes) {
        if (!out.empty()) out += "; ";
        const auto now =
            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
        const double age = now > hole.since_ns ? static_cast<double>(now - hole.since_ns) / 1e9 : 0;
        out += fmt::format("{} bytes at {}, for {:.1f} s", hole.len, hole.start, age);
        if (hole.waiting_for.empty()) {
            out += ", free at the next lap";
        } else {
            out += ", waiting for tid";
            for (auto tid : hole.waiting_for)
                out += fmt::format(" {}", tid);
        }
    }
    return out;
}

nlohmann::ordered_json holes_json(const shmif::BusInfo& info) {
    auto list = nlohmann::ordered_json::array();
    for (const auto& hole : info.holes)
        list.push_back({{"start", hole.start},
                        {"len", hole.len},
                        {"since_ns", hole.since_ns},
                        {"waiting_for", hole.waiting_for}});
    return list;
}

nlohmann::ordered_json info_json(const std::string& path, const shmif::BusInfo& info) {
    const bool native = info.format == shmif::Format::native;
    auto native_only = [native](auto value) -> nlohmann::ordered_json {
        if (native) return value;
        return nullptr;
    };
    // Keys print in this order; the keys, not their order, are the contract.
    return nlohmann::ordered_json{
        {"path", path},
        {"format", shmif::format_name(info.format)},
        {"version", version_string(info)},
        {"file_size", info.file_size},
        {"ring_size", info.data_size},
        {"max_frame", info.max_frame},
        {"generation", info.generation},
        {"first", info.first},
        {"last", info.last},
        {"frames_held", info.frames_held},
        {"bytes_held", info.bytes_held},
        {"locked", info.locked},
        {"lock_owner_tid", native_only(info.lock_owner_tid)},
        {"lock_owner_dead", native_only(info.lock_owner_dead)},
        {"lock_owner_pid", native_only(info.lock_owner_pid)},
        {"lock_owner_state",
         native_only(info.lock_owner_state == 0 ? std::string()
                                                : std::string(1, info.lock_owner_state))},
        {"lock_held_ms", native_only(static_cast<double>(info.lock_held_ns) / 1e6)},
        {"frames_written", native_only(info.frames_written)},
        {"bytes_written", native_only(info.bytes_written)},
        {"lock_recoveries", native_only(info.lock_recoveries)},
        {"stalled_takeovers", native_only(info.stalled_takeovers)},
        {"corrupt_repairs", native_only(info.corrupt_repairs)},
        {"sleeping_readers", native_only(info.sleeping_readers)},
        {"holes", native_only(holes_json(info))},
    };
}

std::string info_text(const std::string& path, const shmif::BusInfo& info,
                      const std::string& indent) {
    auto sized = [](std::uint64_t bytes) {
        return bytes < 1024 ? std::to_string(bytes)
                            : fmt::format("{} ({})", bytes, human_bytes(bytes));
    };
    std::vector<std::pair<std::string, std::string>> rows{
        {"bus", path},
        {"format", shmif::format_name(info.format)},
        {"version", version_string(info)},
        {"file size", sized(info.file_size)},
        {"ring size", sized(info.data_size)},
        {"max frame", std::to_string(info.max_frame)},
        {"generation", std::to_string(info.generation)},
        {"first", std::to_string(info.first)},
        {"last", std::to_string(info.last)},
        {"frames held", std::to_string(info.frames_held)},
        {"bytes held", sized(info.bytes_held)},
        {"lock", lock_string(info)},
    };
    if (info.format == shmif::Format::native) {
        rows.emplace_back("frames written", std::to_string(info.frames_written));
        rows.emplace_back("bytes written", sized(info.bytes_written));
        rows.emplace_back("lock recoveries",
                          fmt::format("{} ({} from stalled holders)", info.lock_recoveries,
                                      info.stalled_takeovers));
        rows.emplace_back("quarantined", holes_string(info));
        rows.emplace_back("corrupt repairs", std::to_string(info.corrupt_repairs));
        rows.emplace_back("sleeping readers", std::to_string(info.sleeping_readers));
    }
    std::size_t width = 0;
    for (const auto& row : rows)
        width = std::max(width, row.first.size());
    std::string out;
    for (const auto& [key, value] : rows)
        out += fmt::format("{}{:<{}}  {}\n", indent, key, width, value);
    return out;
}

}  // namespace shmifbus
