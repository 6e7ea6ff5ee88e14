#include "providers/common/meta-data-tree.hh"

#include "agent/system/error.hh"
#include "providers/common/metadata-server.hh"

#include <algorithm>

namespace imprint {

MetaDataTree::MetaDataTree(HttpClient & http, std::string base, std::string version, std::optional<SessionToken> token)
    : http_(http), base_(std::move(base)), version_(std::move(version)), tokenDance_(std::move(token))
{
    if (tokenDance_)
        renewToken();
}

std::string MetaDataTree::url(const std::string & path) const
{
    return joinUrl(base_, "/" + version_ + "/" + path);
}

std::vector<std::pair<std::string, std::string>> MetaDataTree::headers() const
{
    if (!token_)
        return {};
    return {{tokenDance_->tokenHeader, *token_}};
}

std::string requestSessionToken(HttpClient & http, const std::string & base, const SessionToken & dance)
{
    HttpRequest put;
    put.method = "PUT";
    put.url = joinUrl(base, dance.path);
    put.headers = {{dance.ttlHeader, dance.ttl}};
    auto r = http.request(put);
    if (!r || trim(r->body).empty())
        throw Error(put.url + ": " + (r ? "an empty session token" : "not found (HTTP 404)"));
    return trim(r->body);
}

void MetaDataTree::renewToken()
{
    token_ = requestSessionToken(http_, base_, *tokenDance_);
}

std::optional<std::string> MetaDataTree::get(const std::string & path)
{
    try {
        return http_.get(url(path), headers());
    } catch (const HttpError & e) {
        if (e.status() != 401 || !token_)
            throw;
    }
    withContext("while renewing the session token after HTTP 401 from " + url(path), [&] { renewToken(); });
    return http_.get(url(path), headers());
}

std::optional<std::string> MetaDataTree::leaf(const std::string & key)
{
    auto v = get("meta-data/" + key);
    if (!v || trim(*v).empty())
        return std::nullopt;
    return trim(*v);
}

std::vector<std::string> parseMetaDataListing(std::string_view text)
{
    std::vector<std::string> out;
    for (auto line : nonEmptyLines(text)) {
        if (line.ends_with('/'))
            line.pop_back();
        bool segment = !line.empty() && line != "." && line != ".."
            && std::all_of(line.begin(), line.end(), [](unsigned char c) {
                   return std::isalnum(c) || c == '.' || c == '_' || c == '-';
               });
        if (segment)
            out.push_back(line);
    }
    return out;
}

SourceData fetchMetaDataTree(MetaDataTree & tree, const std::vector<std::string> & hostnameKeys,
                             const std::vector<std::pair<std::string, std::string>> & facts)
{
    SourceData d;
    auto id = tree.get("meta-data/instance-id");
    if (!id)
        throw Error(tree.url("meta-data/instance-id") + ": not found (HTTP 404)");
    if (trim(*id).empty())
        throw Error(tree.url("meta-data/instance-id") + ": empty instance id");
    d.instanceId = trim(*id);
    for (const auto & key : hostnameKeys)
        if (auto h = tree.leaf(key)) {
            d.localHostname = nonEmptyLines(*h).front();  // several names may be listed; the first is its own
            d.localHostnameOrigin = tree.url("meta-data/" + key);
            break;
        }
    for (const auto & [fact, key] : facts)
        if (auto v = tree.leaf(key))
            d.facts["platform"][fact] = *v;
    if (auto ud = tree.get("user-data")) {
        d.userData = std::move(*ud);
        d.userDataOrigin = tree.url("user-data");
    }
    return d;
}

SourceData fetchCloudStackTree(MetaDataTree & tree, const std::string & source)
{
    SourceData d = fetchMetaDataTree(tree, {"local-hostname"},
                                     {{"zone", "availability-zone"}, {"service_offering", "service-offering"},
                                      {"vm_id", "vm-id"}, {"cloud_identifier", "cloud-identifier"}});
    d.source = source;
    d.origin = tree.url("");
    if (auto keys = tree.get("meta-data/public-keys")) {
        appendKeyLines(d.publicKeys, *keys);
        d.publicKeysOrigin = tree.url("meta-data/public-keys");
    }
    return d;
}

} // namespace imprint
