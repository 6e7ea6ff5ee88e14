#pragma once
// systemd credentials as a source, for its tests and fuzz target.

#include "agent/system/environment.hh"
#include "providers/provider.hh"

#include <map>
#include <memory>
#include <string>

namespace imprint {

// The credentials this source reads, in the order it looks for a host name.
inline constexpr const char * kImprintMetaDataCredential = "imprint.meta-data";
inline constexpr const char * kImprintUserDataCredential = "imprint.user-data";
inline constexpr const char * kSystemHostnameCredential = "system.hostname";
inline constexpr const char * kFirstbootHostnameCredential = "firstboot.hostname";
inline constexpr const char * kRootKeysCredential = "ssh.authorized_keys.root";

// What was found: credential name -> value and where it was read. `productUuid` is the DMI
// product_uuid, the fallback instance id.
struct CredentialSet
{
    std::map<std::string, std::pair<std::string, std::string>> values;  // name -> {value, origin}
    std::optional<std::string> productUuid;
};

// The source's answer from a set of credentials (pure: tests and the fuzz target call it).
SourceData sourceDataFromCredentials(const CredentialSet & set, const std::string & directory);

// The provider reading `env` (tests give their own); the registry's makeCredentialsProvider()
// reads the process environment.
std::unique_ptr<Provider> makeCredentialsProvider(EnvLookup env);
std::unique_ptr<Provider> makeCredentialsProvider();

} // namespace imprint
