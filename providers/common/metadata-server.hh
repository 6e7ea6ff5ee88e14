#pragma once
// What the metadata-server sources share: detection helpers over DMI, the base URL rule
// (--endpoint, then config `endpoints:`, then the platform's IP literal), key lines, and the
// head of cloud-init style meta-data. Each platform's own parsers are in its folder's header
// (providers/<name>/<name>.hh); they take text, never sockets, so tests feed them fixtures in
// the platform's real format.

#include "agent/fetch/typed-document.hh"
#include "agent/system/http.hh"
#include "providers/provider.hh"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imprint {

// ---- shared helpers (providers/common/metadata-server.cc) ----

// The DMI value /sys/class/dmi/id/<field>, trimmed; nullopt when missing or unreadable.
std::optional<std::string> dmiValue(const Host & host, const std::string & field);
// "DMI sys_vendor 'Hetzner'" when the field equals one of `values` (exactly), else nullopt.
std::optional<std::string> dmiEquals(const Host & host, const std::string & field,
                                     const std::vector<std::string> & values);

// The base URL of a metadata server: ctx.endpoint (--endpoint or config endpoints[source]) or
// `platformDefault`.
std::string baseUrl(const FetchContext & ctx, const std::string & platformDefault);
// GET `url`: the body, or Error("<url>: not found (HTTP 404)") when the document is absent.
std::string getDocument(HttpClient & http, const std::string & url,
                        std::vector<std::pair<std::string, std::string>> headers = {});
// The HTTP client, or an error saying that this source needs the network.
HttpClient & httpOf(const FetchContext & ctx, const std::string & source);

// Lines of `text` without their line ending, white space trimmed, empty lines dropped.
std::vector<std::string> nonEmptyLines(std::string_view text);
// Appends each non-empty line of `text` to `keys`.
void appendKeyLines(std::vector<std::string> & keys, std::string_view text);

// ---- keys of named accounts (GCE's `user:key` lines, Akamai's users map) ----
struct UserKey
{
    std::string user;
    std::string key;
};
// `sshUser`'s and root's keys to d.publicKeys, other valid NixOS user names' to
// d.userPublicKeys, the rest skipped with a warning in d.warnings that names `origin` and the
// user, never the key.
void assignUserKeys(SourceData & d, std::vector<UserKey> keys, const std::string & origin, const std::string & sshUser);

// ---- filling SourceData from typed documents ----
// The text of a required field, or Error("<origin>: no <what>").
std::string required(const Text & field, const std::string & origin, const std::string & what);
// Sets d.localHostname when `field` is present, naming where it came from ("key 'hostname' in
// URL"); returns whether it did.
bool takeHostname(SourceData & d, const Text & field, const std::string & where);
// Every key line of `keys` into d.publicKeys, and where they came from.
void takeKeys(SourceData & d, const TextList & keys, const std::string & where);
// d.userData from `field` when present (not empty), and where it came from.
void takeUserData(SourceData & d, const Text & field, const std::string & where);
// Sets d.facts["platform"][fact] when `field` is present.
void takePlatformFact(SourceData & d, const std::string & fact, const Text & field);

// ---- cloud-init style meta-data (Hetzner, Incus) ----
// The head of cloud-init style meta-data (Hetzner, Incus): a YAML mapping with `instance-id`
// (required) and a host name under `hostnameKey`. Returns the parsed document too, for the
// platform's own keys.
SourceData parseCloudInitMetaData(std::string_view yaml, const std::string & origin, const std::string & hostnameKey,
                                  nlohmann::json & document);

} // namespace imprint
