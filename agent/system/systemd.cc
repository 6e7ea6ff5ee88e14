#include "agent/system/systemd.hh"
#include "agent/system/sd-bus.hh"

#include <systemd/sd-daemon.h>

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstdio>
#include <sys/stat.h>

namespace imprint {

bool systemdBooted()
{
    return sd_booted() > 0;
}

bool stderrIsJournal()
{
    const char * stream = std::getenv("JOURNAL_STREAM");
    if (!stream)
        return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2)
        return false;
    struct stat st;
    if (::fstat(2, &st) != 0)
        return false;
    return st.st_dev == dev && st.st_ino == ino;
}

namespace {

void notify(const std::string & text)
{
    // 0 = unset_environment false: `imprint run` may notify several times.
    int r = sd_notify(0, text.c_str());
    if (r < 0)
        spdlog::debug("sd_notify failed: {}", r);
}

std::string oneLine(std::string s)
{
    for (auto & c : s)
        if (c == '\n')
            c = ' ';
    return s;
}

} // namespace

void notifyStatus(const std::string & status)
{
    notify("STATUS=" + oneLine(status));
}

void notifyReady(const std::string & status)
{
    notify("READY=1\nSTATUS=" + oneLine(status));
}

HostnamedSetter::HostnamedSetter(std::unique_ptr<HostnameSetter> fallback) : fallback_(std::move(fallback)) {}

void HostnamedSetter::setHostname(const std::string & name)
{
    try {
        auto bus = bus::Bus::openSystem();
        auto call = bus.newMethodCall("org.freedesktop.hostname1", "/org/freedesktop/hostname1",
            "org.freedesktop.hostname1", "SetHostname");
        call.append("sb", name.c_str(), 0);  // not interactive: no polkit prompt at boot
        bus.call(call);
        return;
    } catch (bus::BusError & e) {
        if (!e.isUnavailable() || !fallback_) {
            e.addContext("while setting the host name to '" + name + "' through systemd-hostnamed");
            throw;
        }
        spdlog::info("systemd-hostnamed is not available ({}); using {}", e.name(), fallback_->describe());
    }
    fallback_->setHostname(name);
}

std::unique_ptr<HostnameSetter> makeHostnameSetter(bool useSystemd)
{
    if (useSystemd)
        return std::make_unique<HostnamedSetter>();
    return std::make_unique<KernelHostnameSetter>();
}

} // namespace imprint
