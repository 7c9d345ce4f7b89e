// Parsing and printing the quantities shmifbus talks about: sizes with binary suffixes,
// octal file modes, byte counts for people.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace shmifbus {

// "4096", "64K", "2M", "1G", also "2MiB"/"2MB" (all binary: K = 1024). The error is a sentence
// fragment for "invalid size 'x': <error>".
std::expected<std::uint64_t, std::string> parse_size(std::string_view text);
// "0660", "660", "0o660": octal, at most 07777.
std::expected<::mode_t, std::string> parse_mode(std::string_view text);

// "2 MiB", "1.5 KiB", "17 B": exact when the value is a whole number of units, else tenths
// rounded down.
std::string human_bytes(std::uint64_t bytes);
// "0660"
std::string mode_string(::mode_t mode);

}  // namespace shmifbus
