#include "config_toml_writer.hpp"

#include <toml++/toml.h>

#include <sstream>
#include <stdexcept>

#include "config_json.hpp"

namespace shmifd {

namespace {

// The JSON form already has the file's shape and keys (config_json.cpp is their one list):
// the TOML is that tree, node for node.
toml::table table_of(const nlohmann::json& object);

toml::array array_of(const nlohmann::json& list) {
    toml::array out;
    for (const auto& item : list) {
        if (item.is_object())
            out.push_back(table_of(item));
        else if (item.is_string())
            out.push_back(item.get<std::string>());
        else
            throw std::logic_error("config arrays hold tables or strings");
    }
    return out;
}

toml::table table_of(const nlohmann::json& object) {
    toml::table out;
    for (const auto& [key, value] : object.items()) {
        if (value.is_object())
            out.insert(key, table_of(value));
        else if (value.is_array())
            out.insert(key, array_of(value));
        else if (value.is_boolean())
            out.insert(key, value.get<bool>());
        else if (value.is_number_integer())
            out.insert(key, value.get<std::int64_t>());
        else if (value.is_string())
            out.insert(key, value.get<std::string>());
        else
            throw std::logic_error("config value of an unexpected type: " + key);
    }
    return out;
}

}  // namespace

std::string to_toml(const Config& config) {
    auto json = to_json(config);
    // An MTU of 0 means "the default", which a file says by leaving the key out.
    // So do no impairments.
    for (auto& interface : json["interface"]) {
        if (interface["mtu"] == 0) interface.erase("mtu");
        for (const char* key : {"impair_egress", "impair_ingress"})
            if (interface[key] == "none") interface.erase(key);
    }
    // No interfaces or routes: no keys (an empty array would read as `route = []`).
    for (const char* list : {"interface", "route"})
        if (json[list].empty()) json.erase(list);
    std::ostringstream text;
    constexpr auto flags = toml::toml_formatter::default_flags & ~toml::format_flags::indentation;
    text << "# shmifd configuration (shmifctl config save): load with shmifd --config FILE\n\n"
         << toml::toml_formatter(table_of(json), flags) << "\n";
    return text.str();
}

}  // namespace shmifd
