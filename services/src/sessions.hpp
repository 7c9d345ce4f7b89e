// The session of each service kind (one file each); make_session() picks one.
#pragma once

#include <memory>

#include "services/session.hpp"

namespace services {

std::unique_ptr<Session> make_echo_session();
std::unique_ptr<Session> make_discard_session();
std::unique_ptr<Session> make_chargen_session();
std::unique_ptr<Session> make_http_session();

}  // namespace services
