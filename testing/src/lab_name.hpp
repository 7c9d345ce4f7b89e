// A lab's name of its own per test, and a topology file's text with its [lab] name replaced.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shmif::testing::detail {

// `base` with "-PID-N" appended (N counts the labs of this process), cut to shmiflab's 32
// characters and to its alphabet: letters, digits, '-', '_'.
std::string unique_lab_name(std::string_view base);

// The [lab] table's name = "..." when the text has one written plainly.
std::optional<std::string> lab_name_of(std::string_view text);

// The text with [lab] name = `name`: the line replaced, added to [lab], or a [lab] table put
// first. Line-based, as topology files are written (no multi-line strings, no dotted lab.name).
std::string with_lab_name(std::string_view text, std::string_view name);

}  // namespace shmif::testing::detail
