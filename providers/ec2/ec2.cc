// Amazon EC2 instance metadata (IMDSv2): PUT /latest/api/token with a TTL header, then every GET
// carries the token. IMDSv1 (GETs without a token) only when ec2.allow_imdsv1 is set: a refused
// token PUT otherwise ends the fetch with an error that names the setting.
// IMDS answers 401 to a GET whose token has lapsed or was revoked (the TTL ran out, or the
// instance's metadata options changed mid-fetch); that GET then gets one new token and one retry.

#include "agent/system/error.hh"
#include "providers/common/metadata-server.hh"
#include "providers/ec2/ec2.hh"

#include <algorithm>
#include <cctype>

namespace imprint {

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The IMDSv2 token, renewed when a GET is refused with 401. The token is a secret: it travels
// only in a request header and is never part of an error message.
class ImdsSession
{
public:
    ImdsSession(HttpClient & http, std::string base, bool allowV1)
        : http_(http), base_(std::move(base)), allowV1_(allowV1), token_(getToken(http_, base_, allowV1_))
    {
    }

    // GET base + path with the token; nullopt for 404. A 401 on a token-bearing GET means the
    // token lapsed or was revoked: one new token, one retry, and a second 401 is the error.
    // Without a token (IMDSv1) a 401 is final: IMDS wants v2 now, which a rerun will use.
    std::optional<std::string> get(const std::string & path)
    {
        try {
            return http_.get(joinUrl(base_, path), headers());
        } catch (const HttpError & e) {
            if (e.status() != 401 || !token_)
                throw;
        }
        token_ = withContext("while renewing the IMDSv2 token after HTTP 401 from " + joinUrl(base_, path),
                             [&] { return getToken(http_, base_, allowV1_); });
        return http_.get(joinUrl(base_, path), headers());
    }

private:
    Headers headers() const
    {
        Headers h;
        if (token_)
            h.emplace_back("X-aws-ec2-metadata-token", *token_);
        return h;
    }

    static std::optional<std::string> getToken(HttpClient & http, const std::string & base, bool allowV1)
    {
        HttpRequest put;
        put.method = "PUT";
        put.url = joinUrl(base, "/latest/api/token");
        put.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
        std::string refused;
        try {
            auto r = http.request(put);
            if (r && !trim(r->body).empty())
                return trim(r->body);
            refused = r ? "an empty token" : "HTTP 404";
        } catch (const HttpError & e) {
            // Only a definite refusal may fall back to IMDSv1; an unreachable server stays an error.
            if (e.kind() == HttpFailure::Transient || !allowV1)
                throw Error(std::string(e.what())
                            + (e.kind() == HttpFailure::Transient ? ""
                                                                  : ": the IMDSv2 token was refused and IMDSv1 is not "
                                                                    "allowed (ec2.allow_imdsv1)"));
            refused = e.what();
        }
        if (!allowV1)
            throw Error(put.url + ": " + refused + ": no IMDSv2 token, and IMDSv1 is not allowed (ec2.allow_imdsv1)");
        return std::nullopt;
    }

    HttpClient & http_;
    std::string base_;
    bool allowV1_;
    std::optional<std::string> token_;
};

class Ec2Provider : public Provider
{
public:
    std::string name() const override { return "ec2"; }
    bool needsNetwork() const override { return true; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        if (auto uuid = host.readValue("/sys/hypervisor/uuid"); uuid && lowerAscii(*uuid).starts_with("ec2"))
            return "/sys/hypervisor/uuid '" + *uuid + "'";
        if (auto uuid = dmiValue(host, "product_uuid"); uuid && isEc2ProductUuid(*uuid))
            return "DMI product_uuid '" + *uuid + "'";
        return std::nullopt;
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        auto & http = httpOf(ctx, name());
        std::string base = baseUrl(ctx, ctx.config.ec2UseIpv6 ? "http://[fd00:ec2::254]" : "http://169.254.169.254");
        ImdsSession session(http, base, ctx.config.ec2AllowImdsV1);
        auto get = [&](const std::string & path) { return session.get(path); };
        SourceData d;
        d.source = name();
        d.origin = base;
        std::string idUrl = joinUrl(base, "/latest/meta-data/instance-id");
        auto id = get("/latest/meta-data/instance-id");
        if (!id)
            throw Error(idUrl + ": not found (HTTP 404)");
        if (trim(*id).empty())
            throw Error(idUrl + ": empty instance id");
        d.instanceId = trim(*id);
        for (const char * key : {"local-hostname", "hostname"}) {
            if (auto h = get(std::string("/latest/meta-data/") + key); h && !trim(*h).empty()) {
                // Several names may be listed; the first is the instance's own.
                d.localHostname = nonEmptyLines(*h).front();
                d.localHostnameOrigin = joinUrl(base, std::string("/latest/meta-data/") + key);
                break;
            }
        }
        if (auto index = get("/latest/meta-data/public-keys/")) {
            for (const auto & i : parseEc2PublicKeyIndex(*index))
                if (auto key = get("/latest/meta-data/public-keys/" + i + "/openssh-key"))
                    appendKeyLines(d.publicKeys, *key);
            d.publicKeysOrigin = joinUrl(base, "/latest/meta-data/public-keys/");
        }
        for (auto [fact, path] : {std::pair{"availability_zone", "placement/availability-zone"},
                                  std::pair{"region", "placement/region"},
                                  std::pair{"instance_type", "instance-type"}})
            if (auto v = get(std::string("/latest/meta-data/") + path); v && !trim(*v).empty())
                d.facts["platform"][fact] = trim(*v);
        if (auto ud = get("/latest/user-data")) {
            d.userData = std::move(*ud);
            d.userDataOrigin = joinUrl(base, "/latest/user-data");
        }
        return d;
    }
};

} // namespace

std::vector<std::string> parseEc2PublicKeyIndex(std::string_view text)
{
    std::vector<std::string> out;
    for (const auto & line : nonEmptyLines(text)) {
        auto eq = line.find('=');
        std::string idx = line.substr(0, eq);
        if (!idx.empty() && std::all_of(idx.begin(), idx.end(), [](unsigned char c) { return std::isdigit(c); }))
            out.push_back(idx);
    }
    return out;
}

bool isEc2ProductUuid(std::string_view uuid)
{
    std::string u = lowerAscii(std::string(uuid));
    if (u.starts_with("ec2"))
        return true;
    // Older Xen instances report the first field little-endian: "45e12aec-..." is "ec2ae145".
    if (u.size() >= 8) {
        std::string swapped = u.substr(6, 2) + u.substr(4, 2) + u.substr(2, 2) + u.substr(0, 2);
        return swapped.starts_with("ec2");
    }
    return false;
}

std::unique_ptr<Provider> makeEc2Provider()
{
    return std::make_unique<Ec2Provider>();
}

} // namespace imprint
