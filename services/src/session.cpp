#include "services/session.hpp"

#include "sessions.hpp"

namespace services {

std::unique_ptr<Session> make_session(ServiceKind kind) {
    switch (kind) {
        case ServiceKind::echo:
            return make_echo_session();
        case ServiceKind::discard:
            return make_discard_session();
        case ServiceKind::chargen:
            return make_chargen_session();
        case ServiceKind::http:
            return make_http_session();
    }
    return make_discard_session();
}

}  // namespace services
