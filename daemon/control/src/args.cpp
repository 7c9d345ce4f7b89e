// Args: typed, strict access to a request's `args` object (daemon/PROTOCOL.md: unknown keys
// are errors). A key that is absent or null counts as not given.
#include <fmt/format.h>

#include <algorithm>

#include "shmifd/control/handler.hpp"

namespace shmifd::control {
namespace {

const char* type_name(const nlohmann::json& value) {
    return value.type_name();
}

}  // namespace

Args::Args(const nlohmann::json& args) : args_(args) {
    if (!args_.is_object())
        throw ArgumentError(fmt::format("args must be an object, not {}", type_name(args_)));
}

std::optional<std::string> Args::optional_string(std::string_view key) {
    used_.emplace_back(key);
    const auto it = args_.find(key);
    if (it == args_.end() || it->is_null()) return std::nullopt;
    if (!it->is_string())
        throw ArgumentError(fmt::format("{} must be a string, not {}", key, type_name(*it)));
    return it->get<std::string>();
}

std::string Args::required_string(std::string_view key) {
    auto value = optional_string(key);
    if (!value) throw ArgumentError(fmt::format("missing argument {}", key));
    return std::move(*value);
}

std::optional<std::uint64_t> Args::optional_uint(std::string_view key, std::uint64_t min,
                                                 std::uint64_t max) {
    used_.emplace_back(key);
    const auto it = args_.find(key);
    if (it == args_.end() || it->is_null()) return std::nullopt;
    // Integers only: 1.5 or 1e3 are refused rather than rounded.
    const bool negative =
        it->is_number_integer() && !it->is_number_unsigned() && it->get<std::int64_t>() < 0;
    if (!it->is_number_integer() || negative)
        throw ArgumentError(fmt::format("{} must be an integer between {} and {}", key, min, max));
    const auto value = it->get<std::uint64_t>();
    if (value < min || value > max)
        throw ArgumentError(
            fmt::format("{} must be between {} and {}, not {}", key, min, max, value));
    return value;
}

std::uint64_t Args::required_uint(std::string_view key, std::uint64_t min, std::uint64_t max) {
    const auto value = optional_uint(key, min, max);
    if (!value) throw ArgumentError(fmt::format("missing argument {}", key));
    return *value;
}

std::int64_t Args::required_int(std::string_view key, std::int64_t min, std::int64_t max) {
    used_.emplace_back(key);
    const auto it = args_.find(key);
    if (it == args_.end() || it->is_null())
        throw ArgumentError(fmt::format("missing argument {}", key));
    const bool too_big =
        it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(max);
    if (!it->is_number_integer() || too_big || it->get<std::int64_t>() < min ||
        it->get<std::int64_t>() > max)
        throw ArgumentError(fmt::format("{} must be an integer between {} and {}", key, min, max));
    return it->get<std::int64_t>();
}

std::optional<bool> Args::optional_bool(std::string_view key) {
    used_.emplace_back(key);
    const auto it = args_.find(key);
    if (it == args_.end() || it->is_null()) return std::nullopt;
    if (!it->is_boolean())
        throw ArgumentError(fmt::format("{} must be true or false, not {}", key, type_name(*it)));
    return it->get<bool>();
}

void Args::finish() const {
    for (const auto& [key, value] : args_.items()) {
        if (std::ranges::find(used_, key) == used_.end())
            throw ArgumentError(fmt::format("unknown argument {}", key));
    }
}

}  // namespace shmifd::control
