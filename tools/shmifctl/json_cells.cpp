#include "json_cells.hpp"

namespace shmifctl {

using nlohmann::json;

std::string cell(const json& value) {
    if (value.is_null()) return "-";
    if (value.is_string()) return value.get<std::string>();
    if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string field(const json& object, const char* key) {
    if (!object.is_object()) return "-";
    const auto it = object.find(key);
    return it == object.end() ? "-" : cell(*it);
}

const json& list(const json& result, const char* key) {
    static const json empty = json::array();
    if (!result.is_object()) return empty;
    const auto it = result.find(key);
    return it != result.end() && it->is_array() ? *it : empty;
}

}  // namespace shmifctl
