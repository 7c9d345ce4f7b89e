#include "command_words.hpp"

namespace shmif::tool {

std::optional<std::string> command_word_error(const CLI::App& app) {
    // Descend through the command words the parse reached ("if", then "add" ...).
    const CLI::App* level = &app;
    std::string reached;
    for (;;) {
        const auto parsed = level->get_subcommands([](const CLI::App* s) { return s->parsed(); });
        if (parsed.empty()) break;
        level = parsed.front();
        reached += level->get_name() + " ";
    }
    const auto valid = level->get_subcommands({});
    if (valid.empty() || level->get_require_subcommand_min() == 0) return std::nullopt;
    std::string words;
    for (const CLI::App* sub : valid)
        words += (words.empty() ? "" : ", ") + sub->get_name();
    const std::string after =
        reached.empty() ? "" : " after '" + reached.substr(0, reached.size() - 1) + "'";
    // CLI11 leaves the word it could not place among the level's remaining arguments.
    const auto remaining = level->remaining();
    if (remaining.empty()) return "missing command" + after + "; valid commands: " + words;
    return "unknown command '" + reached + remaining.front() + "'; valid commands" + after + ": " +
           words;
}

}  // namespace shmif::tool
