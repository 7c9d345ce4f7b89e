#include "line_framer.hpp"

namespace shmifd::control {

LineFramer::Event LineFramer::next(std::string_view input) {
    const auto newline = input.find('\n');
    const bool complete = newline != std::string_view::npos;
    const std::size_t take = complete ? newline : input.size();
    const std::size_t consumed = complete ? newline + 1 : input.size();
    if (discarding_) {
        if (complete) discarding_ = false;
        return Event{Kind::need_more, {}, consumed};
    }
    if (partial_.size() + take > max_line_) {
        // Report once now; the rest of the line, up to its '\n', goes nowhere.
        partial_.clear();
        partial_.shrink_to_fit();
        discarding_ = !complete;
        return Event{Kind::too_large, {}, consumed};
    }
    if (!complete) {
        partial_.append(input);
        return Event{Kind::need_more, {}, consumed};
    }
    if (partial_.empty()) return Event{Kind::line, input.substr(0, take), consumed};
    partial_.append(input.substr(0, take));
    line_.swap(partial_);
    partial_.clear();
    return Event{Kind::line, line_, consumed};
}

}  // namespace shmifd::control
