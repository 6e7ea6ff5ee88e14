#pragma once
// Builds downwardAPI volumes the way kubelet's atomic writer does, so tests read the real
// layout: payload files in a timestamped directory `..2026_11_21_10_00_00.<n>`, a `..data`
// symlink to it, and one top-level symlink `name -> ..data/name` per top-level entry. A new
// version is published by writing a new timestamped directory, pointing `..data_tmp` at it,
// renaming `..data_tmp` over `..data`, then removing the old directory.

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace imprint::test {

// Go's strconv.Quote for test data: printable ASCII as is, valid UTF-8 above U+007F as is
// (test data uses printable characters only), the named escapes, \xNN for other bytes.
std::string goQuote(std::string_view s);

// kubelet's formatMap: `key=%q` lines, keys sorted, no final newline.
std::string formatKubeletMap(const std::map<std::string, std::string> & entries);

class KubeletVolume
{
public:
    explicit KubeletVolume(std::filesystem::path dir);

    // Publishes `files` (relative path -> bytes) as the new version; returns the name of the
    // new timestamped directory. With removeOld=false the previous version stays on disk.
    std::string publish(const std::map<std::string, std::string> & files, bool removeOld = true);

    const std::filesystem::path & dir() const { return dir_; }

private:
    std::filesystem::path dir_;
    unsigned serial_ = 0;
};

} // namespace imprint::test
