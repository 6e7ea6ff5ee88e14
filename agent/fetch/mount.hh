#pragma once
// Seed media (cidata, config-2) are mounted read-only, nosuid, nodev, noexec, nosymfollow in a private
// directory under /run/imprint and unmounted afterwards. mount(2) sits behind an interface:
// this build machine's kernel cannot mount iso9660 or vfat, so unit tests fake it and the
// system tests exercise the real thing inside a qemu guest.

#include "agent/system/host.hh"

#include <filesystem>
#include <string>
#include <vector>

namespace imprint {

class Mounter
{
public:
    virtual ~Mounter() = default;
    // Mounts `device` read-only, nosuid, nodev, noexec, nosymfollow on `target` as `fsType`;
    // throws on failure.
    virtual void mount(const std::filesystem::path & device, const std::filesystem::path & target, const std::string & fsType) = 0;
    virtual void unmount(const std::filesystem::path & target) = 0;
};

Mounter & realMounter();

// A seed filesystem mounted for the lifetime of this object.
class MountedMedia
{
public:
    // Tries each of `fsTypes` in turn; the mount point is a fresh 0700 directory under `runDir`.
    MountedMedia(Mounter & mounter, const std::filesystem::path & device, const std::filesystem::path & runDir,
                 const std::vector<std::string> & fsTypes);
    ~MountedMedia();
    MountedMedia(const MountedMedia &) = delete;
    MountedMedia & operator=(const MountedMedia &) = delete;

    const std::filesystem::path & path() const { return target_; }

private:
    Mounter & mounter_;
    std::filesystem::path target_;
    bool mounted_ = false;
};

} // namespace imprint
