// Error values of libshmif: one small enum, carried in std::expected on every call that can
// fail. The optional errno says which system call refused, for the message.
#pragma once

#include <cstdint>
#include <string>

namespace shmif {

enum class Errc : std::uint8_t {
    not_found = 1,        // the bus file does not exist
    permission_denied,    // the file exists but we may not open or map it
    already_exists,       // create with exclusive set, and the path is taken
    not_a_bus,            // wrong magic, wrong size, or an uninitialised file
    unsupported_version,  // right magic, a version this library does not speak
    corrupt_header,       // the header contradicts itself (sizes, offsets)
    invalid_argument,     // a caller's value is out of range
    frame_too_large,      // longer than the bus's maximum frame
    lock_timeout,         // a live writer held the bus lock longer than allowed
    timed_out,            // a blocking receive saw nothing within its timeout
    io_error,             // any other system-call failure (see os_error)
    fenced,               // this writer stalled holding the bus and was taken over: its batch
                          // was dropped
    interrupted,          // a blocking wait ended early: a signal handler ran, or Cursor::wake()
    frame_too_short,      // shorter than an Ethernet header (14 bytes)
};

struct Error {
    Errc code;
    int os_error = 0;  // errno of the failing system call, 0 when none

    friend bool operator==(const Error&, const Error&) = default;
};

// One line of text: what went wrong, plus the system's word for it when that adds something
// ("I/O error (No space left on device)"). The caller adds the path.
std::string describe(const Error& error);
const char* errc_name(Errc code);

}  // namespace shmif
