// shmiflink as a real process for tests: started between two bus files, ready once it has
// printed its start-up line; its counters read back from the lines SIGUSR1 and the exit
// print, and from --json.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "process.hpp"
#include "temp_dir.hpp"

namespace shmiflink::test {

using Counters = std::map<std::string, std::uint64_t>;

// The last "shmiflink: DIRECTION: settings='...' k=v ..." line of `text` for `direction`
// ("a-to-b" or "b-to-a"), as a name -> value map; nullopt when there is none.
std::optional<Counters> last_counters(const std::string& text, const std::string& direction);
// How many such lines `text` holds for `direction`.
std::size_t counter_lines(const std::string& text, const std::string& direction);

// "after N frames read" of the last "DIRECTION: now 'WORDS'" confirmation, if any.
std::optional<std::uint64_t> applied_after(const std::string& text, const std::string& direction,
                                           const std::string& words);

class Link {
  public:
    // Runs `shmiflink A B --json extra...` (the bus files must exist).
    Link(const shmif::test::TempDir& dir, const std::string& bus_a, const std::string& bus_b,
         std::vector<std::string> extra);
    // Waits (bounded) for the start-up line; false and why when it did not come.
    bool ready(std::string& why);
    shmifd::test::Process& process() { return *process_; }
    // SIGUSR1 and the counters it prints for `direction` (bounded wait).
    std::optional<Counters> counters_now(const std::string& direction);
    // SIGTERM; the outcome, and the --json object when it parsed.
    shmifd::test::Outcome stop(nlohmann::json& json);

  private:
    std::unique_ptr<shmifd::test::Process> process_;
};

}  // namespace shmiflink::test
