// Left-aligned text columns, as ip(8)/ss(8) print them: widths fitted to the contents.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace shmifctl {

class Table {
  public:
    explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    bool empty() const { return rows_.empty(); }
    void print(std::FILE* out) const;

  private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace shmifctl
