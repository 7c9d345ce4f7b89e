#include <cstring>
#include <string>

#include "shmif/error.hpp"

namespace shmif {

const char* errc_name(Errc code) {
    switch (code) {
        case Errc::not_found:
            return "no such bus";
        case Errc::permission_denied:
            return "permission denied";
        case Errc::already_exists:
            return "bus already exists";
        case Errc::not_a_bus:
            return "not a bus (unknown magic number or size)";
        case Errc::unsupported_version:
            return "unsupported bus version";
        case Errc::corrupt_header:
            return "corrupt bus header";
        case Errc::invalid_argument:
            return "invalid argument";
        case Errc::frame_too_large:
            return "frame larger than the bus allows";
        case Errc::lock_timeout:
            return "bus lock held too long by another writer";
        case Errc::timed_out:
            return "timed out";
        case Errc::io_error:
            return "I/O error";
        case Errc::fenced:
            return "taken over while stalled holding the bus (batch dropped)";
        case Errc::interrupted:
            return "interrupted";
        case Errc::frame_too_short:
            return "frame shorter than an Ethernet header (14 bytes)";
    }
    return "unknown error";
}

std::string describe(const Error& error) {
    std::string text = errc_name(error.code);
    // not_found, permission_denied and already_exists already say what their errno says.
    const bool says_it_all = error.code == Errc::not_found ||
                             error.code == Errc::permission_denied ||
                             error.code == Errc::already_exists;
    if (error.os_error != 0 && !says_it_all) {
        text += " (";
        text += std::strerror(error.os_error);
        text += ")";
    }
    return text;
}

}  // namespace shmif
