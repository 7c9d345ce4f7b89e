// The stack's and the bus's counters as JSON, and sums of them over shards. One field list
// per counter struct serves both, so a new counter needs one line.
#pragma once

#include <nlohmann/json.hpp>

#include "netstack/stats.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"

namespace shmifd {

void accumulate(netstack::StackStats& total, const netstack::StackStats& part);
void accumulate(netstack::EthernetStats& total, const netstack::EthernetStats& part);
void accumulate(shmif::CursorStats& total, const shmif::CursorStats& part);
void accumulate(shmif::WriterStats& total, const shmif::WriterStats& part);

nlohmann::json to_json(const netstack::StackStats& stats);
nlohmann::json to_json(const netstack::EthernetStats& stats);
nlohmann::json to_json(const shmif::CursorStats& stats);
nlohmann::json to_json(const shmif::WriterStats& stats);

}  // namespace shmifd
