// Typed access to TOML tables that refuses unknown keys and wrong types, naming the line of
// the offending value (ConfigError "FILE:LINE: what"): shmifd's configuration and shmiflab's
// topology files are read through it.
#pragma once

#include <toml++/toml.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "config_error.hpp"

namespace shmifd {

// "ORIGIN:LINE: "
std::string at(const std::string& origin, const toml::source_region& where);

// While one is alive (on this thread), every key a TableReader asks for is recorded as a
// dotted path with whether the document had it: how config_keys() lists the format's keys.
class KeyRecording {
  public:
    explicit KeyRecording(std::map<std::string, bool>& into);
    ~KeyRecording();
    KeyRecording(const KeyRecording&) = delete;
    KeyRecording& operator=(const KeyRecording&) = delete;
};

class TableReader {
  public:
    // `what`: the table's dotted name in messages ("" for the root).
    TableReader(const toml::table& table, const std::string& origin, std::string what)
        : table_(table), origin_(origin), what_(std::move(what)) {}

    [[noreturn]] void fail(const toml::node& node, const std::string& message) const;
    [[noreturn]] void fail_here(const std::string& message) const { fail(table_, message); }

    const toml::node* get(std::string_view key);
    std::optional<std::string> string(std::string_view key);
    std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
    std::optional<bool> boolean(std::string_view key);
    const toml::table* table(std::string_view key);
    const toml::array* array(std::string_view key);

    template <class T>
    void integer_into(std::string_view key, T& out, std::int64_t min, std::int64_t max) {
        if (auto v = integer(key, min, max)) out = static_cast<T>(*v);
    }
    template <class Duration>
    void millis_into(std::string_view key, Duration& out, std::int64_t min, std::int64_t max) {
        if (auto v = integer(key, min, max)) out = std::chrono::milliseconds(*v);
    }

    // Every key of the table must have been asked for.
    void finish() const;

  private:
    const toml::table& table_;
    const std::string& origin_;
    std::string what_;
    std::set<std::string> used_;
};

// Calls fn(table) for each element of an array of tables ([[what]]), refusing other values.
template <class Fn>
void each_table(const toml::array& list, const std::string& origin, const std::string& what,
                Fn fn) {
    for (const auto& node : list) {
        if (!node.is_table())
            throw ConfigError(at(origin, node.source()) + what + " entries must be tables ([[" +
                              what + "]])");
        fn(*node.as_table());
    }
}

// The whole text as TOML, its syntax errors as ConfigError.
toml::table parse_toml(std::string_view text, const std::string& origin);

}  // namespace shmifd
