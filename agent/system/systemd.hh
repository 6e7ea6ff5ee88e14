#pragma once
// imprint's small surface of systemd outside the rebuild: is PID 1 systemd, readiness and status
// for the service manager, whether stderr goes to the journal, and the live hostname through
// systemd-hostnamed. The rebuild as a unit lives in systemd-rebuild.hh.

#include "agent/apply/hostname.hh"

#include <memory>
#include <string>

namespace imprint {

// PID 1 is systemd (sd_booted()). Pods and containers without it get direct exec and
// sethostname(2); so does `--no-systemd`.
bool systemdBooted();

// stderr is connected to the journal (JOURNAL_STREAM names stderr's device and inode): the case
// of a unit started by systemd. A terminal on the same machine gets plain stderr.
bool stderrIsJournal();

// sd_notify helpers: no-ops when there is no NOTIFY_SOCKET (not started as Type=notify).
void notifyStatus(const std::string & status);
void notifyReady(const std::string & status);

// org.freedesktop.hostname1 SetHostname: the transient (live) name. NixOS refuses
// SetStaticHostname on purpose: the static name is declarative and the rebuild sets it.
// When hostnamed is not there (no bus, nobody owns the name), falls back to `fallback`
// (sethostname(2)); any other refusal (AccessDenied, InvalidArgs) is an error.
class HostnamedSetter : public HostnameSetter
{
public:
    explicit HostnamedSetter(std::unique_ptr<HostnameSetter> fallback = std::make_unique<KernelHostnameSetter>());
    std::string describe() const override { return "systemd-hostnamed SetHostname"; }
    void setHostname(const std::string & name) override;

private:
    std::unique_ptr<HostnameSetter> fallback_;
};

// hostnamed with the sethostname(2) fallback under systemd, sethostname(2) alone otherwise.
std::unique_ptr<HostnameSetter> makeHostnameSetter(bool useSystemd);

} // namespace imprint
