#include "providers/common/metadata-server.hh"

#include "agent/fetch/documents.hh"
#include "agent/normalize/instance.hh"
#include "agent/system/error.hh"

#include <algorithm>

namespace imprint {

std::optional<std::string> dmiValue(const Host & host, const std::string & field)
{
    return host.readValue("/sys/class/dmi/id/" + field);
}

std::optional<std::string> dmiEquals(const Host & host, const std::string & field,
                                     const std::vector<std::string> & values)
{
    auto v = dmiValue(host, field);
    if (!v)
        return std::nullopt;
    for (const auto & want : values)
        if (*v == want)
            return "DMI " + field + " '" + *v + "'";
    return std::nullopt;
}

std::string baseUrl(const FetchContext & ctx, const std::string & platformDefault)
{
    return ctx.endpoint ? *ctx.endpoint : platformDefault;
}

HttpClient & httpOf(const FetchContext & ctx, const std::string & source)
{
    if (!ctx.http)
        throw Error("the " + source + " source reads a metadata server, but the network may not be used here");
    return *ctx.http;
}

std::vector<std::string> nonEmptyLines(std::string_view text)
{
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string line = trim(text.substr(pos, end - pos));
        if (!line.empty())
            out.push_back(std::move(line));
        pos = end + 1;
    }
    return out;
}

void appendKeyLines(std::vector<std::string> & keys, std::string_view text)
{
    for (auto & line : nonEmptyLines(text))
        if (line.front() != '#')
            keys.push_back(std::move(line));
}

namespace {

// The user name as it may appear in a log line: printable ASCII without quotes, else a placeholder.
std::string printableUser(const std::string & name)
{
    bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return c > 0x20 && c < 0x7f && c != '\'' && c != '"' && c != '\\';
    });
    return ok ? "'" + name + "'" : "(a name with unprintable characters)";
}

} // namespace

void assignUserKeys(SourceData & d, std::vector<UserKey> keys, const std::string & origin, const std::string & sshUser)
{
    for (auto & k : keys) {
        if (k.user == sshUser || k.user == "root")
            d.publicKeys.push_back(std::move(k.key));
        else if (isValidUserName(k.user))
            d.userPublicKeys[k.user].push_back(std::move(k.key));
        else
            d.warnings.push_back("skipped an ssh key in " + origin + " for the user " + printableUser(k.user) +
                                 ": not a user name NixOS accepts (lower-case letters, digits, '_' and '-', "
                                 "at most 31 characters)");
    }
}

std::string required(const Text & field, const std::string & origin, const std::string & what)
{
    if (!field.present())
        throw Error(origin + ": no " + what);
    return *field;
}

bool takeHostname(SourceData & d, const Text & field, const std::string & where)
{
    if (!field.present())
        return false;
    d.localHostname = *field;
    d.localHostnameOrigin = where;
    return true;
}

void takeKeys(SourceData & d, const TextList & keys, const std::string & where)
{
    for (const auto & k : keys.items)
        appendKeyLines(d.publicKeys, k);
    d.publicKeysOrigin = where;
}

void takeUserData(SourceData & d, const Text & field, const std::string & where)
{
    if (!field.present())
        return;
    d.userData = *field;
    d.userDataOrigin = where;
}

std::string getDocument(HttpClient & http, const std::string & url, std::vector<std::pair<std::string, std::string>> headers)
{
    auto body = http.get(url, std::move(headers));
    if (!body)
        throw Error(url + ": not found (HTTP 404)");
    return std::move(*body);
}

void takePlatformFact(SourceData & d, const std::string & fact, const Text & field)
{
    if (field.present())
        d.facts["platform"][fact] = *field;
}

SourceData parseCloudInitMetaData(std::string_view text, const std::string & origin, const std::string & hostnameKey,
                                  nlohmann::json & j)
{
    j = parseYaml(text, origin);
    if (!j.is_object())
        throw Error(origin + ": expected cloud-init meta-data (a YAML mapping)");
    Text id, host;
    readKey(j, "instance-id", id);
    readKey(j, hostnameKey.c_str(), host);
    SourceData d;
    d.origin = origin;
    d.instanceId = required(id, origin, "'instance-id'");
    takeHostname(d, host, "key '" + hostnameKey + "' in " + origin);
    return d;
}

} // namespace imprint
