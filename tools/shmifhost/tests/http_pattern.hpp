// The SHA-256 of what `shmifd --serve http` answers to GET /bytes/N, computed independently
// of our code (by Python, from the documented formula: byte i = (i + i / 251) mod 256), for the
// tests that fetch it through the kernel.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "process.hpp"
#include "temp_dir.hpp"

namespace shmifd::test {

inline std::string http_pattern_sha(const shmif::test::TempDir& dir, std::uint64_t n) {
    static constexpr const char* script =
        "import hashlib,sys\n"
        "n=int(sys.argv[1]); p=bytes((i+i//251)%256 for i in range(64256))\n"
        "h=hashlib.sha256(); full,rest=divmod(n,len(p))\n"
        "for _ in range(full): h.update(p)\n"
        "h.update(p[:rest]); print(h.hexdigest())\n";
    const auto r = run(dir, {"python3", "-c", script, std::to_string(n)}, std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, 64);
}

}  // namespace shmifd::test
