#include "providers/kubernetes/tests/kubelet-volume-helpers.hh"

#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace imprint::test {

namespace fs = std::filesystem;

std::string goQuote(std::string_view s)
{
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        switch (c) {
        case '\a': out += "\\a"; continue;
        case '\b': out += "\\b"; continue;
        case '\f': out += "\\f"; continue;
        case '\n': out += "\\n"; continue;
        case '\r': out += "\\r"; continue;
        case '\t': out += "\\t"; continue;
        case '\v': out += "\\v"; continue;
        case '\\': out += "\\\\"; continue;
        case '"': out += "\\\""; continue;
        default: break;
        }
        if (c >= 0x20 && c < 0x7F) {
            out += char(c);
            continue;
        }
        std::size_t n = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 ? (c < 0xF0 ? 3 : 0) : c >= 0xC2 ? 2 : 0;
        bool valid = n > 0 && i + n <= s.size();
        for (std::size_t k = 1; valid && k < n; ++k)
            valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
        if (valid) {
            out.append(s.substr(i, n));
            i += n - 1;
            continue;
        }
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
    }
    return out + "\"";
}

std::string formatKubeletMap(const std::map<std::string, std::string> & entries)
{
    std::string out;
    for (const auto & [key, value] : entries)
        out += key + "=" + goQuote(value) + "\n";
    if (!out.empty())
        out.pop_back();
    return out;
}

KubeletVolume::KubeletVolume(fs::path dir) : dir_(std::move(dir))
{
    fs::create_directories(dir_);
}

std::string KubeletVolume::publish(const std::map<std::string, std::string> & files, bool removeOld)
{
    char name[64];
    std::snprintf(name, sizeof name, "..2026_11_21_10_00_00.%09u", ++serial_);
    fs::path version = dir_ / name;
    fs::create_directory(version);
    for (const auto & [rel, bytes] : files) {
        fs::path p = version / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << bytes;
    }
    std::error_code ec;
    fs::path data = dir_ / "..data";
    auto old = fs::read_symlink(data, ec);
    fs::path tmp = dir_ / "..data_tmp";
    fs::remove(tmp, ec);
    fs::create_symlink(name, tmp);
    fs::rename(tmp, data);  // atomic: a reader sees the old or the new target, never none
    for (const auto & [rel, bytes] : files) {
        std::string top = rel.substr(0, rel.find('/'));
        fs::path link = dir_ / top;
        if (!fs::is_symlink(fs::symlink_status(link, ec)))
            fs::create_symlink(fs::path("..data") / top, link);
    }
    if (removeOld && !old.empty())
        fs::remove_all(dir_ / old);
    return name;
}

} // namespace imprint::test
