#include "table.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace shmifctl {

void Table::print(std::FILE* out) const {
    std::vector<std::size_t> widths(header_.size(), 0);
    const auto measure = [&](const std::vector<std::string>& row) {
        for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    };
    measure(header_);
    for (const auto& row : rows_)
        measure(row);
    const auto emit = [&](const std::vector<std::string>& row) {
        std::string line;
        for (std::size_t i = 0; i < widths.size(); ++i) {
            const std::string& cell = i < row.size() ? row[i] : std::string();
            line += cell;
            if (i + 1 < widths.size()) line.append(widths[i] - cell.size() + 2, ' ');
        }
        while (line.ends_with(' '))
            line.pop_back();
        fmt::print(out, "{}\n", line);
    };
    emit(header_);
    for (const auto& row : rows_)
        emit(row);
}

}  // namespace shmifctl
