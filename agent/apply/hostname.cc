#include "agent/apply/hostname.hh"
#include "agent/system/error.hh"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace imprint {

void KernelHostnameSetter::setHostname(const std::string & name)
{
    if (::sethostname(name.data(), name.size()) != 0)
        throw Error("sethostname(\"" + name + "\") failed: " + std::strerror(errno));
}

} // namespace imprint
