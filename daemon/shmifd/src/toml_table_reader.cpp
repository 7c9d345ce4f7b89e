#include "toml_table_reader.hpp"

namespace shmifd {

namespace {

// The recording of KeyRecording, when one is alive.
thread_local std::map<std::string, bool>* asked_keys = nullptr;

}  // namespace

std::string at(const std::string& origin, const toml::source_region& where) {
    return origin + ":" + std::to_string(where.begin.line) + ": ";
}

KeyRecording::KeyRecording(std::map<std::string, bool>& into) {
    asked_keys = &into;
}

KeyRecording::~KeyRecording() {
    asked_keys = nullptr;
}

void TableReader::fail(const toml::node& node, const std::string& message) const {
    throw ConfigError(at(origin_, node.source()) + message);
}

const toml::node* TableReader::get(std::string_view key) {
    used_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (asked_keys != nullptr) {
        bool& present =
            (*asked_keys)[what_.empty() ? std::string(key) : what_ + "." + std::string(key)];
        present = present || node != nullptr;
    }
    return node;
}

std::optional<std::string> TableReader::string(std::string_view key) {
    const auto* node = get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_string()) fail(*node, what_ + "." + std::string(key) + " must be a string");
    return node->value<std::string>();
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max) {
    const auto* node = get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_integer()) fail(*node, what_ + "." + std::string(key) + " must be an integer");
    const auto v = node->as_integer()->get();
    if (v < min || v > max)
        fail(*node, what_ + "." + std::string(key) + " must be in " + std::to_string(min) + ".." +
                        std::to_string(max) + ", not " + std::to_string(v));
    return v;
}

std::optional<bool> TableReader::boolean(std::string_view key) {
    const auto* node = get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_boolean()) fail(*node, what_ + "." + std::string(key) + " must be true or false");
    return node->as_boolean()->get();
}

const toml::table* TableReader::table(std::string_view key) {
    const auto* node = get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) fail(*node, what_ + "." + std::string(key) + " must be a table");
    return node->as_table();
}

const toml::array* TableReader::array(std::string_view key) {
    const auto* node = get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_array()) fail(*node, what_ + "." + std::string(key) + " must be an array");
    return node->as_array();
}

void TableReader::finish() const {
    for (auto&& [key, node] : table_)
        if (!used_.contains(std::string(key.str())))
            throw ConfigError(at(origin_, key.source()) + "unknown key " + what_ + "." +
                              std::string(key.str()));
}

toml::table parse_toml(std::string_view text, const std::string& origin) {
    try {
        return toml::parse(text, origin);
    } catch (const toml::parse_error& e) {
        throw ConfigError(at(origin, e.source()) + std::string(e.description()));
    }
}

}  // namespace shmifd
