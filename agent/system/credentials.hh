#pragma once
// systemd credentials as imprint reads them. Under a unit, systemd gives the service the
// credentials its ImportCredential= and LoadCredential= lines name, in $CREDENTIALS_DIRECTORY
// (from the system's own: SMBIOS type 11, fw_cfg, the kernel command line, a container
// manager; and from /run/credstore, where systemd-imds-import puts what it fetched). Run by hand
// as root, imprint reads PID 1's copy in /run/credentials/@system. Both are paths on the
// machine, taken under the Host's root like every other.

#include "agent/system/environment.hh"
#include "agent/system/host.hh"

#include <optional>
#include <string>

namespace imprint {

inline constexpr const char * kSystemCredentialsDirectory = "/run/credentials/@system";

// $CREDENTIALS_DIRECTORY when set, else /run/credentials/@system.
std::string credentialsDirectory(const EnvLookup & env);

struct Credential
{
    std::string value;
    std::string origin;  // "credential 'system.hostname' in /run/credentials/@system"
};

// The credential's bytes, or nullopt when it is not there (a directory only root may list holds
// none for a user's `imprint detect`). One that cannot be read, is not a regular file or is
// over `cap` is an Error naming it, like any seed file.
std::optional<Credential> readCredential(const Host & host, const EnvLookup & env, const std::string & name,
                                         std::size_t cap = kSmallFileCap);

} // namespace imprint
