// TCP_INFO from the daemon's per-connection JSON (the fields of `tcp.list`) into Linux's
// struct tcp_info, as far as the fields map; the rest stays zero.
#pragma once

#include <sys/socket.h>

#include <nlohmann/json.hpp>

namespace shmifsock {

// Writes at most *len bytes of the struct to `out` and sets *len to what was written, as
// Linux's getsockopt(TCP_INFO) does.
void fill_tcp_info(const nlohmann::json& info, void* out, socklen_t* len);

}  // namespace shmifsock
