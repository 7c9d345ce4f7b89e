#include "bus_tools_status.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "bus_tools.hpp"
#include "processes.hpp"

namespace shmiflab {

namespace {

// pid and alive of `tool`, from its pid file and the running ones.
void add_process(nlohmann::json& row, const Lab& lab, const BusTool& tool,
                 const std::vector<RunningTool>& running) {
    auto pid = read_pid_file(lab.dir.pid(tool.id));
    row["pid"] = pid ? nlohmann::json(*pid) : nlohmann::json(nullptr);
    row["alive"] =
        std::ranges::any_of(running, [&](const RunningTool& r) { return r.tool.id == tool.id; });
    row["log"] = lab.dir.log(tool.id);
}

std::string cell(const nlohmann::json& value) {
    if (value.is_null()) return "-";
    return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string state(const nlohmann::json& row) {
    return row["alive"].get<bool>() ? "running" : "stopped";
}

}  // namespace

nlohmann::json link_rows(const Lab& lab) {
    auto rows = nlohmann::json::array();
    const auto running = running_bus_tools(lab);
    for (const auto& tool : bus_tools(lab.topology)) {
        if (tool.kind != ToolKind::link) continue;
        const auto& link = lab.topology.links[tool.index];
        nlohmann::json row{{"a", link.a},
                           {"b", link.b},
                           {"a_to_b", link.a_to_b},
                           {"b_to_a", link.b_to_a},
                           {"seed", link.seed ? nlohmann::json(*link.seed) : nullptr}};
        add_process(row, lab, tool, running);
        rows.push_back(std::move(row));
    }
    return rows;
}

nlohmann::json capture_rows(const Lab& lab) {
    auto rows = nlohmann::json::array();
    const auto running = running_bus_tools(lab);
    for (const auto& tool : bus_tools(lab.topology)) {
        if (tool.kind != ToolKind::capture) continue;
        const auto& capture = lab.topology.captures[tool.index];
        const auto path = capture_path(lab.dir, capture);
        nlohmann::json row{{"bus", capture.bus},
                           {"file", path},
                           {"format", capture.format == CaptureFormat::pcapng ? "pcapng" : "pcap"},
                           {"filter", capture.filter}};
        add_process(row, lab, tool, running);
        // shmifdump writes pcapng as a pcap spool, PATH.PID.spool, made pcapng when it stops.
        std::error_code ec;
        auto bytes = std::filesystem::file_size(path, ec);
        if (ec && row["pid"].is_number())
            bytes = std::filesystem::file_size(
                fmt::format("{}.{}.spool", path, row["pid"].get<pid_t>()), ec);
        row["bytes"] = ec ? nlohmann::json(nullptr) : nlohmann::json(bytes);
        rows.push_back(std::move(row));
    }
    return rows;
}

void print_bus_tool_rows(const nlohmann::json& links, const nlohmann::json& captures) {
    if (!links.empty()) {
        std::size_t w[3] = {4, 6, 6};  // LINK, A_TO_B, B_TO_A
        auto words = [](const nlohmann::json& netem) {
            const auto text = netem.get<std::string>();
            return text.empty() ? std::string("-") : "'" + text + "'";
        };
        for (const auto& l : links) {
            w[0] = std::max(w[0], cell(l["a"]).size() + 3 + cell(l["b"]).size());
            w[1] = std::max(w[1], words(l["a_to_b"]).size());
            w[2] = std::max(w[2], words(l["b_to_a"]).size());
        }
        fmt::print("{:<{}}  {:<{}}  {:<{}}  {:>8}  {}\n", "LINK", w[0], "A_TO_B", w[1], "B_TO_A",
                   w[2], "PID", "STATE");
        for (const auto& l : links)
            fmt::print("{:<{}}  {:<{}}  {:<{}}  {:>8}  {}\n", cell(l["a"]) + " - " + cell(l["b"]),
                       w[0], words(l["a_to_b"]), w[1], words(l["b_to_a"]), w[2], cell(l["pid"]),
                       state(l));
    }
    if (!captures.empty()) {
        std::size_t w = 7;  // CAPTURE
        for (const auto& c : captures)
            w = std::max(w, cell(c["bus"]).size());
        fmt::print("{:<{}}  {:>10}  {:>8}  {:<7}  {}\n", "CAPTURE", w, "BYTES", "PID", "STATE",
                   "FILE");
        for (const auto& c : captures)
            fmt::print("{:<{}}  {:>10}  {:>8}  {:<7}  {}{}\n", cell(c["bus"]), w, cell(c["bytes"]),
                       cell(c["pid"]), state(c), cell(c["file"]),
                       c["filter"].get<std::string>().empty()
                           ? ""
                           : " (" + c["filter"].get<std::string>() + ")");
    }
}

}  // namespace shmiflab
