#pragma once
// Seed media are found by their by-label link, which udev makes once it has probed the device.
// Early in the boot (imprint-local.service runs before local-fs.target, without the deprecated
// systemd-udev-settle) a cdrom may not be there yet: its block device appears only once udev has
// loaded the driver (sr_mod: the qemu tier saw sr0 attach 4 s after the coldplug began), and its
// link once udev has probed it. So detection first waits, bounded, while udev still has events
// queued (/run/udev/queue exists) or a block device present has no udev record yet.

#include "agent/system/clock.hh"
#include "agent/system/host.hh"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace imprint {

// How long detection waits at most for udev to probe the block devices present.
inline constexpr std::chrono::milliseconds kBlockDeviceProbeTimeout{10000};

// What udev has still to do before seed media can be found: "queued events" while it has
// events queued, and each disk that could hold a seed (a cdrom, a virtio, SCSI, Xen, NVMe or MMC
// disk or partition) it has not recorded yet (/run/udev/data/b<major>:<minor>).
// Empty when udev does not run here (no /run/udev/control: a container): nobody would record them.
std::vector<std::string> blockDevicesNotYetProbed(const Host & host);

// Waits (sleeping on `clock`) until blockDevicesNotYetProbed is empty or `timeout` passed.
// Returns a sentence for the journal when it waited, naming what it waited for.
std::optional<std::string> waitForBlockDevicesProbed(const Host & host, Clock & clock, std::chrono::milliseconds timeout);

} // namespace imprint
