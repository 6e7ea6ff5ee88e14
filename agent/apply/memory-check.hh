#pragma once
// Evaluating a NixOS system takes about 0.6-1.1 GB of memory; on a 512 MB-1 GB instance
// `nixos-rebuild` is OOM-killed half-way (nixpkgs #119760, #85148). imprint looks first and
// says so plainly (rebuild.min_memory_mb) instead.

#include "agent/system/host.hh"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace imprint {

struct MemInfo
{
    std::optional<std::uint64_t> memTotalKb;
    std::optional<std::uint64_t> memAvailableKb;
    std::optional<std::uint64_t> swapFreeKb;
};

// The fields of /proc/meminfo imprint uses ("MemAvailable:  123456 kB"); others are ignored.
MemInfo parseMemInfo(std::string_view text);

// A message for the journal when MemAvailable + SwapFree is below `minMb` MiB; nullopt when
// there is enough, when the check is off (0), or when /proc/meminfo (under the root prefix)
// cannot be read or has no MemAvailable: missing information never blocks a rebuild.
std::optional<std::string> memoryShortfall(const Host & host, std::uint64_t minMb);

} // namespace imprint
