#pragma once
// A private dbus-daemon for tests, with a hermetic configuration: session type, a socket under
// /tmp, EXTERNAL auth, an allow-all policy and NO <servicedir>, so that a call to a name nobody
// owns (org.freedesktop.systemd1, org.freedesktop.hostname1) fails with ServiceUnknown instead
// of activating the real service. It is published as the system bus of this process
// (DBUS_SYSTEM_BUS_ADDRESS), which is what sd_bus_open_system() reads: production code needs no
// test hook. Everything it starts it stops itself, by PID.

#include <optional>
#include <string>
#include <sys/types.h>

namespace imprint::test {

class PrivateBus
{
public:
    // Starts dbus-daemon and sets DBUS_SYSTEM_BUS_ADDRESS (the old value comes back on destruction).
    PrivateBus();
    ~PrivateBus();
    PrivateBus(const PrivateBus &) = delete;
    PrivateBus & operator=(const PrivateBus &) = delete;

    const std::string & address() const { return address_; }
    pid_t pid() const { return pid_; }
    // Kills the daemon (SIGKILL, by PID) and reaps it: every client sees its connection drop.
    void kill();

private:
    std::string dir_;
    std::string address_;
    pid_t pid_ = -1;
    std::optional<std::string> previousAddress_;
};

// True when dbus-daemon can be run here; tests skip loudly otherwise.
bool haveDbusDaemon();

} // namespace imprint::test
