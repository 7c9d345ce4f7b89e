#include "lab_dir.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace shmiflab {

std::string default_base() {
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg != '\0')
        return std::string(xdg) + "/shmiflab";
    if (::geteuid() == 0) return "/run/shmiflab";
    return "/tmp/shmiflab-" + std::to_string(::geteuid());
}

std::expected<Lab, std::string> find_lab(const std::string& file_or_name, const std::string& base) {
    std::string name = file_or_name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(file_or_name, ec)) {
        auto topology = load_topology(file_or_name);
        if (!topology) return std::unexpected(topology.error());
        LabDir dir{base + "/" + topology->name};
        // The copy `up` kept wins: the file may have changed since.
        if (!std::filesystem::exists(dir.topology(), ec))
            return Lab{std::move(*topology), std::move(dir)};
        name = topology->name;
    } else if (!valid_name(file_or_name)) {
        return std::unexpected(file_or_name + ": neither a topology file nor a lab name");
    }
    LabDir dir{base + "/" + name};
    std::ifstream in(dir.topology(), std::ios::binary);
    if (!in) return std::unexpected("no lab " + name + " in " + base);
    std::ostringstream text;
    text << in.rdbuf();
    // The copy's stem is "lab": the name is the directory's.
    auto topology = parse_topology(text.str(), dir.topology(), name);
    if (!topology) return std::unexpected(topology.error());
    return Lab{std::move(*topology), std::move(dir)};
}

}  // namespace shmiflab
