#include "service_validator.hpp"

#include "services/service_spec.hpp"

namespace shmif::tool {

CLI::Validator service_spec_validator() {
    return CLI::Validator(
        [](std::string& text) {
            services::SpecError error;
            return services::parse_service(text, &error) ? std::string() : error.message;
        },
        "KIND[:PORT][/PROTO]");
}

}  // namespace shmif::tool
