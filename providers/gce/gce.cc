// Google Compute Engine metadata server: every request carries `Metadata-Flavor: Google` (the
// server refuses requests without it). The hostname is an FQDN that may be longer than 63
// characters; it is passed on whole and the core splits it into label and domain.
// ssh keys: instance `ssh-keys` (and the legacy `sshKeys`), plus the project's unless the
// instance sets block-project-ssh-keys. Lines are `user:key`, and each key goes to its own user,
// as Google's guest agent does (it creates the account named before the colon):
//  - the configured ssh_user's keys go to ssh_authorized_keys, as every source's keys do;
//  - root's keys go there too, as cloud-init's disable_root sends them to the default user:
//    ssh_user (root unless configured) is the one login the image promises, and declaring
//    root's keys beside an image's `PermitRootLogin no` would only pretend to grant a login;
//  - any other name becomes users.users.<name> (isNormalUser = mkDefault true) with its keys,
//    when NixOS accepts it as a user name: users-groups.nix aborts evaluation for 32 characters
//    or more, and `useradd`'s portable alphabet ([a-z_][a-z0-9_-]*) is what isValidUserName
//    checks. Other names are skipped with a warning that names the metadata key and the user
//    (never the key), so one odd entry does not stop the machine from being provisioned;
//  - keys whose google-ssh `expireOn` has passed are skipped (parseGceSshKeys).

#include "agent/system/clock.hh"
#include "agent/system/error.hh"
#include "providers/common/metadata-server.hh"
#include "providers/gce/gce.hh"

#include <algorithm>
#include <ctime>

namespace imprint {

namespace {

// The run's wall time as google-ssh's expireOn compares it.
std::string utcNow(const FetchContext & ctx)
{
    std::time_t t = std::chrono::system_clock::to_time_t((ctx.clock ? *ctx.clock : systemClock()).wallNow());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}

class GceProvider : public Provider
{
public:
    std::string name() const override { return "gce"; }
    bool needsNetwork() const override { return true; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        if (auto s = dmiEquals(host, "product_name", {"Google Compute Engine", "Google"}))
            return s;
        if (auto serial = dmiValue(host, "product_serial"); serial && serial->starts_with("GoogleCloud-"))
            return "DMI product_serial '" + *serial + "'";
        return std::nullopt;
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        auto & http = httpOf(ctx, name());
        std::string base = joinUrl(baseUrl(ctx, "http://169.254.169.254"), "/computeMetadata/v1");
        std::vector<std::pair<std::string, std::string>> flavor{{"Metadata-Flavor", "Google"}};
        auto get = [&](const std::string & path) { return http.get(joinUrl(base, path), flavor); };

        SourceData d;
        d.source = name();
        d.origin = base;
        auto id = get("/instance/id");
        if (!id)
            throw Error(joinUrl(base, "/instance/id") + ": not found (HTTP 404)");
        if (trim(*id).empty())
            throw Error(joinUrl(base, "/instance/id") + ": empty instance id");
        d.instanceId = trim(*id);
        if (auto h = get("/instance/hostname"); h && !trim(*h).empty()) {
            d.localHostname = trim(*h);
            d.localHostnameOrigin = joinUrl(base, "/instance/hostname");
        }
        std::string now = utcNow(ctx);
        auto addKeys = [&](const std::string & path) {
            if (auto text = get(path))
                assignGceKeys(d, parseGceSshKeys(*text, now), joinUrl(base, path), ctx.config.sshUser);
        };
        addKeys("/instance/attributes/ssh-keys");
        addKeys("/instance/attributes/sshKeys");
        auto block = get("/instance/attributes/block-project-ssh-keys");
        bool blocked = block && (trim(*block) == "true" || trim(*block) == "TRUE" || trim(*block) == "True");
        if (!blocked) {
            addKeys("/project/attributes/ssh-keys");
            addKeys("/project/attributes/sshKeys");
        }
        d.publicKeysOrigin = joinUrl(base, "/instance/attributes/ssh-keys")
            + (blocked ? " (project keys blocked)" : " and " + joinUrl(base, "/project/attributes/ssh-keys"));
        if (auto zone = get("/instance/zone"))
            d.facts["platform"]["zone"] = lastPathSegment(trim(*zone));
        if (auto type = get("/instance/machine-type"))
            d.facts["platform"]["machine_type"] = lastPathSegment(trim(*type));
        if (auto project = get("/project/project-id"))
            d.facts["platform"]["project_id"] = trim(*project);
        if (auto ud = get("/instance/attributes/user-data")) {
            d.userData = std::move(*ud);
            d.userDataOrigin = joinUrl(base, "/instance/attributes/user-data");
        }
        return d;
    }
};

} // namespace

void assignGceKeys(SourceData & d, std::vector<GceSshKey> keys, const std::string & origin, const std::string & sshUser)
{
    assignUserKeys(d, std::move(keys), origin, sshUser);
}

std::vector<GceSshKey> parseGceSshKeys(std::string_view text, const std::string & nowUtc)
{
    std::vector<GceSshKey> out;
    for (const auto & line : nonEmptyLines(text)) {
        auto colon = line.find(':');
        if (colon == std::string::npos || colon == 0)
            continue;  // not `user:key`
        GceSshKey k{trim(line.substr(0, colon)), trim(line.substr(colon + 1))};
        if (k.key.empty())
            continue;
        // Keys added by the console/OS Login tooling carry `google-ssh {"userName":..,"expireOn":"2030-01-01T00:00:00+0000"}`.
        auto gs = k.key.find(" google-ssh ");
        if (gs != std::string::npos) {
            auto exp = k.key.find("\"expireOn\"", gs);
            if (exp != std::string::npos) {
                auto q1 = k.key.find('"', k.key.find(':', exp + 10));
                auto q2 = q1 == std::string::npos ? q1 : k.key.find('"', q1 + 1);
                if (q2 != std::string::npos) {
                    std::string when = k.key.substr(q1 + 1, std::min<std::size_t>(19, q2 - q1 - 1));
                    if (when.size() == 19 && when < nowUtc)
                        continue;  // expired
                }
            }
        }
        out.push_back(std::move(k));
    }
    return out;
}

std::string lastPathSegment(std::string_view path)
{
    auto slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::unique_ptr<Provider> makeGceProvider()
{
    return std::make_unique<GceProvider>();
}

} // namespace imprint
