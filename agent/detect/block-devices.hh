#pragma once
// Seed media are found by their by-label link, which udev makes once it has probed the device.
// Early in the boot (imprint-local.service runs before local-fs.target, without the deprecated
// systemd-udev-settle) a cdrom the kernel already knows may not be probed yet: detection first
// waits, briefly and only for the block devices that exist, until udev has a record of each.

#include "agent/system/clock.hh"
#include "agent/system/host.hh"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace imprint {

// How long detection waits at most for udev to probe the block devices present.
inline constexpr std::chrono::milliseconds kBlockDeviceProbeTimeout{10000};

// Block devices that could hold a seed (not loop, ram, zram, device-mapper, md or nbd ones) that
// udev has not recorded yet (/run/udev/data/b<major>:<minor>). Empty when udev does not run here
// (no /run/udev/control: a container), since then nobody will record them.
std::vector<std::string> blockDevicesNotYetProbed(const Host & host);

// Waits (sleeping on `clock`) until blockDevicesNotYetProbed is empty or `timeout` passed.
// Returns a sentence for the journal when it waited, naming what it waited for.
std::optional<std::string> waitForBlockDevicesProbed(const Host & host, Clock & clock, std::chrono::milliseconds timeout);

} // namespace imprint
