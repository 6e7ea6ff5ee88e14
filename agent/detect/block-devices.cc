#include "agent/detect/block-devices.hh"

#include <string_view>

namespace imprint {

namespace {

// The disks a seed comes on (a cdrom, a virtio, SCSI, Xen, NVMe or MMC disk and their
// partitions): the kinds udev's persistent-storage rules describe, so each gets a udev record.
// Not a floppy, a loop, ram, zram, device-mapper, md or nbd device: udev may keep no record of
// those, and waiting for one would cost the whole bound on every boot.
bool couldHoldASeed(std::string_view name)
{
    for (std::string_view kind : {"sr", "vd", "sd", "xvd", "nvme", "mmcblk"})
        if (name.starts_with(kind))
            return true;
    return false;
}

std::string joined(const std::vector<std::string> & names)
{
    std::string out;
    for (const auto & n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out;
}

} // namespace

std::vector<std::string> blockDevicesNotYetProbed(const Host & host)
{
    std::vector<std::string> pending;
    if (!host.isSocket("/run/udev/control"))
        return pending;
    if (host.hasEntry("/run/udev/queue"))
        pending.push_back("queued events");
    for (const auto & name : host.list("/sys/class/block")) {
        if (!couldHoldASeed(name))
            continue;
        auto dev = host.readValue("/sys/class/block/" + name + "/dev");  // "11:0"
        if (dev && !host.exists("/run/udev/data/b" + *dev))
            pending.push_back(name);
    }
    return pending;
}

std::optional<std::string> waitForBlockDevicesProbed(const Host & host, Clock & clock, std::chrono::milliseconds timeout)
{
    auto pending = blockDevicesNotYetProbed(host);
    if (pending.empty())
        return std::nullopt;
    const auto first = pending;
    const auto start = clock.now();
    while (!pending.empty() && clock.now() - start < timeout) {
        clock.sleepFor(std::chrono::milliseconds(50));
        pending = blockDevicesNotYetProbed(host);
    }
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() - start).count();
    if (pending.empty())
        return "waited " + std::to_string(waited) + " ms for udev (" + joined(first) + ") before looking for seed media";
    return "udev was not done (" + joined(pending) + ") after " + std::to_string(waited) + " ms; looking for seed media anyway";
}

} // namespace imprint
