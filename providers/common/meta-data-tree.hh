#pragma once
// A metadata server in EC2's layout, which other platforms serve too: /<version>/meta-data/<key>
// (text leaves; a path ending in '/' lists its children, one a line, sub-directories with a
// trailing '/'), /<version>/user-data. Alibaba puts it behind a session token as IMDSv2 does
// (under its own header names); Exoscale and CloudStack serve it openly. EC2 itself keeps its
// own client (providers/ec2), which also falls back to IMDSv1.

#include "agent/system/http.hh"
#include "providers/provider.hh"

#include <optional>
#include <string>
#include <vector>

namespace imprint {

// The token dance: PUT `path` with `ttlHeader: ttl`, then every GET with `tokenHeader: TOKEN`.
struct SessionToken
{
    std::string path;
    std::string ttlHeader;
    std::string ttl;
    std::string tokenHeader;
};

// One session token (a secret: it travels only in a request header, never in a message):
// PUT base + dance.path with the TTL header; Error naming the URL when none comes back.
std::string requestSessionToken(HttpClient & http, const std::string & base, const SessionToken & dance);

class MetaDataTree
{
public:
    MetaDataTree(HttpClient & http, std::string base, std::string version, std::optional<SessionToken> token);

    // GET /<version>/<path> (nullopt for 404). A 401 with a token gets one new token and one retry.
    std::optional<std::string> get(const std::string & path);
    // meta-data/<key>, trimmed; nullopt when absent or empty.
    std::optional<std::string> leaf(const std::string & key);
    // The URL of /<version>/<path>, for origins and errors.
    std::string url(const std::string & path) const;

private:
    std::vector<std::pair<std::string, std::string>> headers() const;
    void renewToken();

    HttpClient & http_;
    std::string base_;
    std::string version_;
    std::optional<SessionToken> tokenDance_;
    std::optional<std::string> token_;
};

// A listing's entries (one a line, a trailing '/' dropped), keeping only names that can be one
// path segment: [A-Za-z0-9._-], not "." or "..".
std::vector<std::string> parseMetaDataListing(std::string_view text);

// The common part of a fetch from such a tree: instance-id (required), the host name from the
// first of `hostnameKeys`, user-data, and each fact in `facts` (fact name -> meta-data key).
// Keys are the platform's business (a listing of key ids, or one text of lines).
SourceData fetchMetaDataTree(MetaDataTree & tree, const std::vector<std::string> & hostnameKeys,
                             const std::vector<std::pair<std::string, std::string>> & facts);

// CloudStack's flavour of it (CloudStack, Exoscale): public-keys holds the keys themselves, one
// a line; the zone, the service offering and the VM's id are facts.
SourceData fetchCloudStackTree(MetaDataTree & tree, const std::string & source);

} // namespace imprint
