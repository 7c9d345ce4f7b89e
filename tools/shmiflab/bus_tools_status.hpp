// The lab's links and captures as `status` shows them, and `up` once they run.
#pragma once

#include <nlohmann/json.hpp>

#include "lab_dir.hpp"

namespace shmiflab {

// One object per link: a, b, a_to_b, b_to_a (netem words, "" untouched), seed (null: random),
// pid (null: no pid file), alive, log.
nlohmann::json link_rows(const Lab& lab);
// One object per capture: bus, file (its path), format, filter, pid, alive, log, bytes (the
// file's size so far; while a pcapng capture runs, its pcap spool's; null if there is none).
nlohmann::json capture_rows(const Lab& lab);

// Those rows as two text tables (none for a lab without links or captures).
void print_bus_tool_rows(const nlohmann::json& links, const nlohmann::json& captures);

}  // namespace shmiflab
