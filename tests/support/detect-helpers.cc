#include "tests/support/detect-helpers.hh"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace imprint::test {

const std::map<std::string, std::string> kLaptop{
    {"sys_vendor", "LENOVO"}, {"product_name", "20XWCTO1WW"}, {"product_serial", "PF2ABCDE"},
    {"product_uuid", "4c4c4544-0042-3510-8052-b4c04f4e3332"}, {"chassis_asset_tag", "No Asset Information"},
    {"board_name", "20XWCTO1WW"}};

std::map<std::string, std::string> with(std::map<std::string, std::string> base, const std::map<std::string, std::string> & over)
{
    for (const auto & [k, v] : over)
        base[k] = v;
    return base;
}

FakeRoot::FakeRoot()
{
    std::string tmpl = "/tmp/imprint-detect-XXXXXX";
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
}

FakeRoot::~FakeRoot()
{
    for (int fd : sockets_)
        ::close(fd);
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

void FakeRoot::file(const std::string & hostPath, const std::string & content)
{
    fs::path p = fs::path(dir_) / hostPath.substr(1);
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
}

void FakeRoot::dmi(const std::map<std::string, std::string> & values)
{
    for (const auto & [k, v] : values)
        file("/sys/class/dmi/id/" + k, v + "\n");  // the kernel ends each value with a newline
}

void FakeRoot::socket(const std::string & hostPath)
{
    fs::path p = fs::path(dir_) / hostPath.substr(1);
    fs::create_directories(p.parent_path());
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, p.c_str(), sizeof a.sun_path - 1);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0)
        throw std::runtime_error("cannot bind a unix socket at " + p.string());
    sockets_.push_back(fd);
}

std::optional<Detection> FakeRoot::detect(const Config & config) const
{
    return detectSource(Host(dir_), config);
}

} // namespace imprint::test
