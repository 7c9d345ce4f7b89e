#include "loopback_link.hpp"

#include <unistd.h>

#include <filesystem>
#include <system_error>

namespace shmifd {

netstack::Ipv4Cidr loopback_address() {
    return {netstack::Ipv4Address::from_octets(127, 0, 0, 1), 8};
}

netstack::Ipv6Cidr loopback_address6() {
    return {netstack::Ipv6Address::loopback(), 128};
}

std::expected<shmif::Bus, std::string> create_private_bus() {
    std::string why;
    std::error_code ignored;
    for (const std::filesystem::path& dir :
         {std::filesystem::path("/dev/shm"), std::filesystem::temp_directory_path(ignored)}) {
        if (dir.empty()) continue;
        // Unique: the pid, and a random id against a name left over from a killed daemon
        // that had the same pid (exclusive creation refuses a name that exists).
        const auto path = (dir / ("shmifd-lo-" + std::to_string(::getpid()) + "-" +
                                  std::to_string(shmif::random_sender_id()) + ".bus"))
                              .string();
        auto bus = shmif::Bus::create(path, {.mode = 0600, .exclusive = true});
        if (!bus) {
            why += (why.empty() ? "" : "; ") + path + ": " + shmif::describe(bus.error());
            continue;
        }
        std::filesystem::remove(path, ignored);
        return std::move(*bus);
    }
    return std::unexpected("cannot create the loopback bus: " + why);
}

std::unique_ptr<ShardLink> make_loopback_link(const shmif::Bus& bus, std::uint64_t sender,
                                              std::shared_ptr<BusAlarm> alarm) {
    return std::make_unique<ShardLink>(loopback_name, bus, sender, std::move(alarm),
                                       ShardLink::OwnFrames::receive);
}

}  // namespace shmifd
