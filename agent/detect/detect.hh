#pragma once
// Which source describes this machine, decided from local signals only (never the network):
// `imprint.source=NAME` on the kernel command line, then an `imprint.source` systemd credential,
// then `sources:` in config, then every
// provider's detect() in the registry's documented order.

#include "agent/cli/config.hh"
#include "agent/system/host.hh"
#include "providers/provider.hh"

#include <optional>
#include <string>
#include <vector>

namespace imprint {

struct SourceSpec
{
    const Provider * provider;            // never null
    std::optional<std::string> location;  // DIR of nocloud:DIR, configdrive:DIR, kubernetes:DIR
    std::string text;                     // as given, for messages
};

// "nocloud:/srv/seed" -> {nocloud, /srv/seed}; unknown names are a UsageError listing the known.
SourceSpec parseSourceSpec(const std::string & spec);

// The kernel command line's words (from /proc/cmdline under the root prefix), quotes honoured.
std::vector<std::string> kernelCommandLine(const Host & host);
// The value of `key=value` on the kernel command line, the last occurrence winning.
std::optional<std::string> kernelParameter(const Host & host, const std::string & key);

// nullopt when nothing identifies a platform.
std::optional<Detection> detectSource(const Host & host, const Config & config);

// Names of every known source, in detection order.
std::vector<std::string> knownSources();

} // namespace imprint
