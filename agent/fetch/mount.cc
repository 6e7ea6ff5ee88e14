#include "agent/fetch/mount.hh"
#include "agent/system/error.hh"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <sys/mount.h>
#include <unistd.h>

namespace imprint {

namespace fs = std::filesystem;

namespace {
class RealMounter : public Mounter
{
public:
    void mount(const fs::path & device, const fs::path & target, const std::string & fsType) override
    {
        // MS_NOSYMFOLLOW: a Rock Ridge ISO can carry symlinks (meta-data -> /etc/shadow); on this
        // mount the kernel follows none of them, whoever resolves the path.
        unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOSYMFOLLOW;
        if (::mount(device.c_str(), target.c_str(), fsType.c_str(), flags, nullptr) != 0)
            throw Error("cannot mount " + device.string() + " (" + fsType + ") on " + target.string() + ": " + std::strerror(errno));
    }
    void unmount(const fs::path & target) override
    {
        if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) != 0)
            throw Error("cannot unmount " + target.string() + ": " + std::strerror(errno));
    }
};
} // namespace

Mounter & realMounter()
{
    static RealMounter m;
    return m;
}

MountedMedia::MountedMedia(Mounter & mounter, const fs::path & device, const fs::path & runDir,
                           const std::vector<std::string> & fsTypes)
    : mounter_(mounter)
{
    std::error_code ec;
    fs::create_directories(runDir, ec);
    std::string templ = (runDir / "media.XXXXXX").string();
    if (!::mkdtemp(templ.data()))
        throw Error("cannot create a mount point under " + runDir.string() + ": " + std::strerror(errno));
    target_ = templ;
    std::string errors;
    for (const auto & type : fsTypes) {
        try {
            mounter_.mount(device, target_, type);
            mounted_ = true;
            return;
        } catch (const Error & e) {
            errors += errors.empty() ? e.what() : std::string("; ") + e.what();
        }
    }
    fs::remove(target_, ec);
    throw Error(errors.empty() ? "cannot mount " + device.string() : errors);
}

MountedMedia::~MountedMedia()
{
    if (mounted_) {
        try {
            mounter_.unmount(target_);
        } catch (const Error & e) {
            spdlog::warn("{}", e.what());
            return;  // keep the directory: removing a busy mount point would fail anyway
        }
    }
    std::error_code ec;
    fs::remove(target_, ec);
}

} // namespace imprint
