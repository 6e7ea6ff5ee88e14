#pragma once
// What the metadata-server sources share: detection helpers over DMI, the base URL rule
// (--endpoint, then config `endpoints:`, then the platform's IP literal), and the text parsers
// of each platform's answers. Parsers take text, never sockets, so unit tests feed them
// fixtures in the platforms' real formats.

#include "agent/system/http.hh"
#include "providers/openstack-format.hh"
#include "providers/provider.hh"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imprint {

// ---- shared helpers (providers/metadata.cc) ----

// The DMI value /sys/class/dmi/id/<field>, trimmed; nullopt when missing or unreadable.
std::optional<std::string> dmiValue(const Host & host, const std::string & field);
// "DMI sys_vendor 'Hetzner'" when the field equals one of `values` (exactly), else nullopt.
std::optional<std::string> dmiEquals(const Host & host, const std::string & field,
                                     const std::vector<std::string> & values);

// The base URL of a metadata server: ctx.endpoint (--endpoint or config endpoints[source]) or
// `platformDefault`.
std::string baseUrl(const FetchContext & ctx, const std::string & platformDefault);
// The HTTP client, or an error saying that this source needs the network.
HttpClient & httpOf(const FetchContext & ctx, const std::string & source);

// Lines of `text` without their line ending, white space trimmed, empty lines dropped.
std::vector<std::string> nonEmptyLines(std::string_view text);
// Appends each non-empty line of `text` to `keys`.
void appendKeyLines(std::vector<std::string> & keys, std::string_view text);

// ---- EC2 (providers/ec2.cc) ----
// public-keys/ listing: lines "0=my-key" -> indices in order ("0", "1", ...).
std::vector<std::string> parseEc2PublicKeyIndex(std::string_view text);
// Byte-swapped or plain "ec2" prefix of a DMI product_uuid.
bool isEc2ProductUuid(std::string_view uuid);

// ---- GCE (providers/gce.cc) ----
// ssh-keys attribute: lines "user:ssh-ed25519 AAAA... comment" -> user and key;
// lines whose google-ssh "expireOn" is in the past (relative to `nowUtc`, ISO 8601) are skipped.
struct GceSshKey
{
    std::string user;
    std::string key;
};
std::vector<GceSshKey> parseGceSshKeys(std::string_view text, const std::string & nowUtc);
// Each key to its user (the rule is in gce.cc's header): `sshUser`'s and root's to
// d.publicKeys, other valid user names to d.userPublicKeys, the rest skipped with a warning in
// d.warnings that names `origin` (the metadata URL) and the user, never the key.
void assignGceKeys(SourceData & d, std::vector<GceSshKey> keys, const std::string & origin, const std::string & sshUser);
// "projects/123/zones/europe-west1-b" -> "europe-west1-b".
std::string lastPathSegment(std::string_view path);

// ---- Azure (providers/azure.cc) ----
SourceData parseAzureInstance(std::string_view json, const std::string & origin);
struct AzureGoalState
{
    std::string incarnation;
    std::string containerId;
    std::string instanceId;
};
AzureGoalState parseAzureGoalState(std::string_view xml, const std::string & origin);
std::string azureHealthReport(const AzureGoalState & goal);
// The Ready report Azure waits for after provisioning (as Afterburn's check-in): GET the goal
// state from the wireserver, then POST a health report with State Ready. Without it the
// platform marks the VM's provisioning as failed. `wireserver` is a base URL
// (default http://168.63.129.16, config `endpoints: {azure-wireserver: URL}`).
void reportAzureReady(HttpClient & http, const std::string & wireserver);
inline constexpr const char * kAzureWireserver = "http://168.63.129.16";

// ---- DigitalOcean, Hetzner, Oracle, Incus ----
SourceData parseDigitalOceanMetadata(std::string_view json, const std::string & origin);
// The head of cloud-init style meta-data (Hetzner, Incus): a YAML mapping with `instance-id`
// (required) and a host name under `hostnameKey`. Returns the parsed document too, for the
// platform's own keys.
SourceData parseCloudInitMetaData(std::string_view yaml, const std::string & origin, const std::string & hostnameKey,
                                  nlohmann::json & document);

SourceData parseHetznerMetadata(std::string_view yaml, const std::string & origin);
// user_data is base64 in the instance document; it is decoded here.
SourceData parseOracleInstance(std::string_view json, const std::string & origin);
SourceData parseIncusMetaData(std::string_view text, const std::string & origin);

// ---- factories (one line each in registry.cc) ----
std::unique_ptr<Provider> makeConfigDriveProvider();
std::unique_ptr<Provider> makeOpenStackProvider();
std::unique_ptr<Provider> makeEc2Provider();
std::unique_ptr<Provider> makeGceProvider();
std::unique_ptr<Provider> makeAzureProvider();
std::unique_ptr<Provider> makeDigitalOceanProvider();
std::unique_ptr<Provider> makeHetznerProvider();
std::unique_ptr<Provider> makeOracleProvider();
std::unique_ptr<Provider> makeIncusProvider();

} // namespace imprint
