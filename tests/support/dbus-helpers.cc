#include "tests/support/dbus-helpers.hh"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char ** environ;

namespace imprint::test {

namespace {

constexpr const char * kDaemon = "/usr/bin/dbus-daemon";

constexpr const char * kConfig = R"(<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
)";

} // namespace

bool haveDbusDaemon()
{
    return ::access(kDaemon, X_OK) == 0;
}

PrivateBus::PrivateBus()
{
    char tmpl[] = "/tmp/imprint-dbus-XXXXXX";
    if (!mkdtemp(tmpl))
        throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    auto config = dir_ + "/bus.conf";
    std::ofstream(config) << kConfig;

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 3);  // dup2 clears O_CLOEXEC on fd 3
    std::string configArg = "--config-file=" + config;
    const char * argv[] = {kDaemon, configArg.c_str(), "--nofork", "--nopidfile", "--print-address=3", nullptr};
    int r = posix_spawn(&pid_, kDaemon, &actions, nullptr, const_cast<char **>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (r != 0) {
        ::close(fds[0]);
        throw std::runtime_error(std::string("cannot start dbus-daemon: ") + std::strerror(r));
    }

    // The daemon prints its address once it listens.
    std::string out;
    char buf[512];
    while (out.find('\n') == std::string::npos) {
        pollfd p{fds[0], POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0)
            break;
        auto n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0)
            break;
        out.append(buf, n);
    }
    ::close(fds[0]);
    auto nl = out.find('\n');
    if (nl == std::string::npos) {
        kill();
        throw std::runtime_error("dbus-daemon did not print its address");
    }
    address_ = out.substr(0, nl);

    if (auto old = getenv("DBUS_SYSTEM_BUS_ADDRESS"))
        previousAddress_ = old;
    setenv("DBUS_SYSTEM_BUS_ADDRESS", address_.c_str(), 1);
}

void PrivateBus::kill()
{
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status;
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
        pid_ = -1;
    }
}

PrivateBus::~PrivateBus()
{
    kill();
    if (previousAddress_)
        setenv("DBUS_SYSTEM_BUS_ADDRESS", previousAddress_->c_str(), 1);
    else
        unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

} // namespace imprint::test
