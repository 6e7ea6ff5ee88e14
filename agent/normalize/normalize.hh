#pragma once
// SourceData -> InstanceData: user-data decoded, cloud-init's hostname rule applied and split
// into one label plus a domain, keys validated, root device resolved. Every rejection names the
// key and the file or URL it came from.

#include "agent/cli/config.hh"
#include "agent/system/host.hh"
#include "agent/normalize/instance.hh"
#include "providers/provider.hh"

#include <optional>
#include <string>
#include <vector>

namespace imprint {

struct Normalized
{
    InstanceData instance;
    std::vector<std::string> unhandledKeys;  // cloud-config keys imprint does not act on
    std::vector<std::string> ignoredParts;   // user-data parts not acted on (scripts, includes)
};

// cloud-init's rule (cloudinit/util.py get_hostname_fqdn with the datasource's get_hostname):
// the names cloud-init would use for the same inputs, before NixOS's one-label split.
struct HostnameFqdn
{
    std::optional<std::string> hostname;
    std::optional<std::string> fqdn;
    std::string hostnameOrigin;  // the key the hostname came from
    std::string fqdnOrigin;
};
HostnameFqdn cloudInitHostname(const nlohmann::json & cloudConfig, const std::optional<std::string> & localHostname,
                               const std::string & userDataOrigin, const std::string & localHostnameOrigin);

// What normalize() needs to know of the machine itself, gathered before it, so that it reads
// nothing: the root device as discovered here. A discovery failure is kept, and raised only when
// the root device is needed (neither user-data nor the configuration names one).
struct MachineFacts
{
    std::optional<RootDevice> rootDevice;
    std::optional<std::string> rootDeviceError;
};
MachineFacts gatherMachineFacts(const Host & host);

// Pure: the same source data, configuration and facts give the same result.
Normalized normalize(const SourceData & data, const Config & config, const MachineFacts & machine);

} // namespace imprint
