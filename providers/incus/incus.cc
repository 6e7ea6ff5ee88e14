// Incus / LXD instances: the guest API over the unix socket /dev/incus/sock (LXD: /dev/lxd/sock).
// GET /1.0/meta-data is cloud-init meta-data text (instance-id, local-hostname); user data is
// the instance's cloud-init.user-data config key (older: user.user-data), served as plain text.
// --endpoint may name another socket ("unix:/path" or "/path") or an http:// URL.

#include "agent/fetch/documents.hh"
#include "agent/system/error.hh"
#include "providers/common/metadata-server.hh"
#include "providers/incus/incus.hh"

namespace imprint {

namespace {

const char * const kSockets[] = {"/dev/incus/sock", "/dev/lxd/sock"};

class IncusProvider : public Provider
{
public:
    std::string name() const override { return "incus"; }
    bool needsNetwork() const override { return true; }  // a socket, but through the HTTP client

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        for (const char * s : kSockets)
            if (host.isSocket(s))
                return std::string("socket ") + s;
        return std::nullopt;
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        auto & http = httpOf(ctx, name());
        std::string base = "http://incus";  // only a name in the request line over the socket
        std::optional<std::string> socket;
        std::string shown;
        if (ctx.endpoint && (ctx.endpoint->starts_with("http://") || ctx.endpoint->starts_with("https://"))) {
            base = *ctx.endpoint;
            shown = base;
        } else if (ctx.endpoint) {
            socket = ctx.endpoint->starts_with("unix:") ? ctx.endpoint->substr(5) : *ctx.endpoint;
            shown = *socket;
        } else {
            for (const char * s : kSockets)
                if (ctx.host.isSocket(s)) {
                    socket = ctx.host.path(s).string();
                    shown = s;
                    break;
                }
            if (!socket)
                throw Error("no Incus/LXD guest socket (/dev/incus/sock or /dev/lxd/sock)");
        }
        auto get = [&](const std::string & path) { return http.get(joinUrl(base, path), {}, socket); };
        std::string metaOrigin = shown + " GET /1.0/meta-data";
        auto meta = get("/1.0/meta-data");
        if (!meta)
            throw Error(metaOrigin + ": not found (HTTP 404)");
        SourceData d = parseIncusMetaData(*meta, metaOrigin);
        d.source = name();
        d.origin = shown;
        for (const char * key : {"cloud-init.user-data", "user.user-data"}) {
            if (auto ud = get(std::string("/1.0/config/") + key); ud && !ud->empty()) {
                d.userData = std::move(*ud);
                d.userDataOrigin = shown + " config key " + key;
                break;
            }
        }
        return d;
    }
};

} // namespace

SourceData parseIncusMetaData(std::string_view text, const std::string & origin)
{
    nlohmann::json j;
    return parseCloudInitMetaData(text, origin, "local-hostname", j);
}

std::unique_ptr<Provider> makeIncusProvider()
{
    return std::make_unique<IncusProvider>();
}

} // namespace imprint
