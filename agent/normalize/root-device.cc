#include "agent/normalize/root-device.hh"
#include "agent/system/error.hh"

#include <filesystem>
#include <set>
#include <sstream>

namespace imprint {

namespace fs = std::filesystem;

namespace {

std::string unescapeMountField(std::string_view s)
{
    auto isOct = [](char c) { return c >= '0' && c <= '7'; };
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()
            && isOct(s[i + 1]) && isOct(s[i + 2]) && isOct(s[i + 3])) {
            out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
            continue;
        }
        out += s[i];
    }
    return out;
}

std::vector<std::string> splitSpaces(std::string_view line)
{
    std::vector<std::string> fields;
    std::size_t pos = 0;
    while (pos < line.size()) {
        auto start = line.find_first_not_of(' ', pos);
        if (start == std::string_view::npos)
            break;
        auto end = line.find(' ', start);
        fields.emplace_back(line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        pos = end == std::string_view::npos ? line.size() : end;
    }
    return fields;
}

// Filesystems that are not on a device the NixOS configuration could name.
const std::set<std::string> kVirtualRootTypes = {
    "overlay", "tmpfs", "rootfs", "ramfs", "devtmpfs", "proc", "sysfs", "9p", "virtiofs",
    "fuse", "fuse.lxcfs", "squashfs", "nfs", "nfs4", "cifs", "aufs"};

// The kernel's name for the device ("vda1"): from /sys/dev/block/MAJ:MIN/uevent, else from the
// source path itself (following its symlink, as /dev/mapper/x -> ../dm-0).
std::optional<std::string> kernelName(const Host & host, const MountEntry & e)
{
    if (auto uevent = host.readFile("/sys/dev/block/" + e.majorMinor + "/uevent")) {
        std::istringstream in(*uevent);
        for (std::string line; std::getline(in, line);)
            if (line.rfind("DEVNAME=", 0) == 0)
                return fs::path(line.substr(8)).filename().string();
    }
    if (e.source.rfind("/dev/", 0) != 0 || e.source == "/dev/root")
        return std::nullopt;
    std::error_code ec;
    fs::path p = host.path(e.source);
    if (fs::is_symlink(p, ec)) {
        auto target = fs::read_symlink(p, ec);
        if (!ec)
            return target.filename().string();
    }
    return fs::path(e.source).filename().string();
}

std::optional<std::string> stableLink(const Host & host, const std::string & name)
{
    for (const char * dir : {"/dev/disk/by-uuid", "/dev/disk/by-partuuid", "/dev/disk/by-label"}) {
        for (const auto & entry : host.list(dir)) {
            std::error_code ec;
            auto target = fs::read_symlink(host.path(std::string(dir) + "/" + entry), ec);
            if (!ec && target.filename() == name)
                return std::string(dir) + "/" + entry;
        }
    }
    return std::nullopt;
}

} // namespace

std::vector<MountEntry> parseMountInfo(std::string_view text, const std::string & origin)
{
    std::vector<MountEntry> entries;
    std::size_t lineNo = 0, pos = 0;
    while (pos < text.size()) {
        auto eol = text.find('\n', pos);
        std::string_view line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        pos = eol == std::string_view::npos ? text.size() : eol + 1;
        ++lineNo;
        if (line.empty())
            continue;
        auto f = splitSpaces(line);
        // id parent maj:min root mountpoint options [optional...] - fstype source superoptions
        std::size_t sep = 6;
        while (sep < f.size() && f[sep] != "-")
            ++sep;
        if (f.size() < 9 || sep + 1 >= f.size())
            throw Error(origin + ": line " + std::to_string(lineNo) + " is not a mountinfo entry");
        entries.push_back(MountEntry{f[2], unescapeMountField(f[4]), f[sep + 1],
                                     sep + 2 < f.size() ? unescapeMountField(f[sep + 2]) : std::string()});
    }
    return entries;
}

std::optional<RootDevice> discoverRootDevice(const Host & host)
{
    auto text = host.readFile("/proc/self/mountinfo", 4 * 1024 * 1024);
    if (!text)
        return std::nullopt;
    auto entries = parseMountInfo(*text, host.path("/proc/self/mountinfo").string());
    const MountEntry * root = nullptr;
    for (const auto & e : entries)
        if (e.mountPoint == "/")
            root = &e;  // the last mount on / is the visible one
    if (!root || kVirtualRootTypes.count(root->fsType))
        return std::nullopt;
    if (root->source.rfind("/dev/", 0) != 0)
        return RootDevice{root->source, root->fsType};  // zfs datasets, bcachefs...: named as they are
    auto name = kernelName(host, *root);
    if (name)
        if (auto link = stableLink(host, *name))
            return RootDevice{*link, root->fsType};
    if (root->source == "/dev/root")
        return std::nullopt;
    return RootDevice{root->source, root->fsType};
}

} // namespace imprint
