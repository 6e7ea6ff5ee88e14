#pragma once
// The fact a golden image cannot know: which block device holds `/` on this copy. Read from the
// running system (mountinfo under the root prefix) and named by a stable path, preferring
// /dev/disk/by-uuid, then by-partuuid, then by-label, as udev names them on this machine.

#include "agent/system/host.hh"
#include "agent/normalize/instance.hh"

#include <optional>
#include <string>
#include <vector>

namespace imprint {

struct MountEntry
{
    std::string majorMinor;  // "254:1"
    std::string mountPoint;
    std::string fsType;
    std::string source;      // "/dev/vda1", "/dev/root", "rpool/root", "overlay"
};

// Parses /proc/self/mountinfo text (octal escapes decoded). Malformed lines throw.
std::vector<MountEntry> parseMountInfo(std::string_view text, const std::string & origin);

// nullopt when `/` is not on a block device (containers: overlay, tmpfs...) or cannot be named.
std::optional<RootDevice> discoverRootDevice(const Host & host);

} // namespace imprint
