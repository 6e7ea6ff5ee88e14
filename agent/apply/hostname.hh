#pragma once
// Makes the running system use the new host name at once (the declared name follows with the
// rebuild). The implementation through systemd-hostnamed lives with the systemd code; this
// file has the interface and the sethostname(2) fallback.

#include <string>

namespace imprint {

class HostnameSetter
{
public:
    virtual ~HostnameSetter() = default;
    virtual std::string describe() const = 0;
    virtual void setHostname(const std::string & name) = 0;  // throws Error
};

// sethostname(2): for machines without hostnamed. Needs CAP_SYS_ADMIN in the UTS namespace.
class KernelHostnameSetter : public HostnameSetter
{
public:
    std::string describe() const override { return "sethostname(2)"; }
    void setHostname(const std::string & name) override;
};

} // namespace imprint
