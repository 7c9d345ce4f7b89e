// Reading a reply's JSON into table cells: one way for every command's table.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace shmifctl {

// Strings as they are, absent/null as "-", booleans as yes/no, anything else compact JSON.
std::string cell(const nlohmann::json& value);
// The cell of object[key] ("-" when there is none).
std::string field(const nlohmann::json& object, const char* key);
// result[key] when it is an array, else an empty one.
const nlohmann::json& list(const nlohmann::json& result, const char* key);

}  // namespace shmifctl
