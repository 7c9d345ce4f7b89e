// BusInfo for people (aligned "key  value" lines) and for programs (one JSON object with
// stable snake_case keys). Shared by `shmifbus info` and shmif-demo.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "shmif/bus.hpp"

namespace shmifbus {

// "1.0" for native (major.minor), "3" for NetBSD.
std::string version_string(const shmif::BusInfo& info);
// "free", "held by tid 4242", "held by tid 4242, which is dead (next writer recovers)".
std::string lock_string(const shmif::BusInfo& info);
// The quarantined regions (holes) of a native bus, one line.
std::string holes_string(const shmif::BusInfo& info);

// Every key is always present; the native-only ones (lock_owner_tid, lock_owner_dead,
// frames_written, bytes_written, lock_recoveries, corrupt_repairs, sleeping_readers) are
// null on a NetBSD bus, which does not keep them.
nlohmann::ordered_json info_json(const std::string& path, const shmif::BusInfo& info);
// Multi-line, newline-terminated; each line starts with `indent`.
std::string info_text(const std::string& path, const shmif::BusInfo& info,
                      const std::string& indent = "");

}  // namespace shmifbus
