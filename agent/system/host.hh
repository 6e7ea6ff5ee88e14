#pragma once
// The machine as imprint sees it, every path taken under a root prefix (`--root`), the way
// ds-identify takes PATH_ROOT: a test is a directory tree. Paths are resolved with
// openat2(RESOLVE_IN_ROOT): "..", and symlinks relative or absolute, resolve as if the root were
// "/", so no link in a fake machine (or on a seed medium: a Host rooted at its mount point) names
// a file outside it. Reads are bounded and take regular files only, opened without blocking: a
// FIFO or a device is an error naming the file, never a hang; a file larger than its cap is an
// error, never a surprise allocation.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imprint {

// Caps for what imprint reads from outside the machine.
inline constexpr std::size_t kSmallFileCap = 64 * 1024;        // DMI values, cmdline, mountinfo lines
inline constexpr std::size_t kMetaDataCap = 1024 * 1024;       // meta-data, network-config
inline constexpr std::size_t kUserDataCap = 16 * 1024 * 1024;  // user-data, vendor-data
inline constexpr std::size_t kMaxDirectoryEntries = 65536;     // a listing (a medium's openstack/)

class Host
{
public:
    explicit Host(std::filesystem::path root = "/");

    const std::filesystem::path & root() const { return root_; }
    bool isRealRoot() const { return root_ == "/"; }

    // `hostPath` is an absolute path on the machine ("/sys/class/dmi/id/sys_vendor");
    // the result is that path under the root prefix.
    std::filesystem::path path(std::string_view hostPath) const;

    // The file's bytes, or nullopt when it does not exist. Errors (unreadable, over `cap`,
    // not a regular file) throw an Error naming the file.
    std::optional<std::string> readFile(std::string_view hostPath, std::size_t cap = kSmallFileCap) const;

    // A file written by whoever controls the platform (meta-data, user-data, a config drive's
    // JSON): as readFile, and its last component must not be a symlink either.
    std::optional<std::string> readSeedFile(std::string_view hostPath, std::size_t cap) const;

    // A DMI-style value: the file's first line with surrounding white space removed; nullopt
    // when missing or unreadable (DMI files can be root-only; detection must not fail on them).
    std::optional<std::string> readValue(std::string_view hostPath) const;

    bool exists(std::string_view hostPath) const;
    // True when a directory entry is there, even a symlink whose target is missing (a
    // /dev/disk/by-label link is a signal by itself).
    bool hasEntry(std::string_view hostPath) const;
    bool isDirectory(std::string_view hostPath) const;
    bool isSocket(std::string_view hostPath) const;

    // Entries of a directory (names only, sorted); empty when it does not exist. More than
    // kMaxDirectoryEntries is an Error naming the directory.
    std::vector<std::string> list(std::string_view hostPath) const;

private:
    std::filesystem::path root_;
};

// Reads one of imprint's own files (state, configuration) by its real path, not root-prefixed;
// symlinks are followed (NixOS links /etc/imprint/imprint.yaml into the store), and only a
// regular file is read, without blocking.
std::optional<std::string> readFileCapped(const std::filesystem::path & file, std::size_t cap);

// Strips leading and trailing ASCII white space.
std::string trim(std::string_view s);

// ASCII letters made lower case, every other byte as it is.
std::string lowerAscii(std::string_view s);

} // namespace imprint
