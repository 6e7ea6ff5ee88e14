// Microsoft Azure: the Instance Metadata Service (header `Metadata: true`, an api-version on
// every request) for identity, keys and user data; and the Ready report to the wireserver that
// Azure waits for after provisioning (reportAzureReady, as Afterburn's check-in does).
// Custom data (ovf-env.xml on the provisioning CD) is not read; IMDS userData is.

#include "agent/fetch/documents.hh"
#include "agent/fetch/encoding.hh"
#include "agent/system/error.hh"
#include "providers/common/metadata-server.hh"
#include "providers/azure/azure.hh"

namespace imprint {

namespace {

constexpr const char * kApiVersion = "2021-08-01";
constexpr const char * kWireVersion = "2012-11-30";
constexpr const char * kAgentName = "imprint";

class AzureProvider : public Provider
{
public:
    std::string name() const override { return "azure"; }
    bool needsNetwork() const override { return true; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        return dmiEquals(host, "chassis_asset_tag", {"7783-7084-3265-9085-8269-3286-77"});
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        auto & http = httpOf(ctx, name());
        std::string base = baseUrl(ctx, "http://169.254.169.254");
        std::vector<std::pair<std::string, std::string>> headers{{"Metadata", "true"}};
        std::string url = joinUrl(base, std::string("/metadata/instance?api-version=") + kApiVersion);
        SourceData d = parseAzureInstance(getDocument(http, url, headers), url);
        d.source = name();
        d.origin = base;
        std::string udUrl = joinUrl(base, std::string("/metadata/instance/compute/userData?api-version=")
                                              + kApiVersion + "&format=text");
        if (auto ud = http.get(udUrl, headers); ud && !trim(*ud).empty()) {
            d.userData = base64Decode(*ud, udUrl);
            d.userDataOrigin = udUrl;
        }
        return d;
    }

    // Azure marks provisioning failed unless the VM reports Ready to the wireserver. Under
    // --root (a test tree, an image being prepared) the platform's wireserver is left alone
    // unless `endpoints: {azure-wireserver: URL}` names one explicitly.
    std::optional<std::string> afterCommit(const AfterCommitContext & ctx) const override
    {
        auto it = ctx.config.endpoints.find("azure-wireserver");
        bool configured = it != ctx.config.endpoints.end();
        if (!ctx.http || (!ctx.host.isRealRoot() && !configured))
            return std::nullopt;
        std::string wireserver = configured ? it->second : kAzureWireserver;
        withContext("while reporting Ready to the Azure wireserver " + wireserver,
                    [&] { reportAzureReady(*ctx.http, wireserver); });
        return "reported Ready to the Azure wireserver " + wireserver;
    }
};

// The text of the first <tag>...</tag> in `xml` (no attributes expected on these elements).
std::optional<std::string> element(std::string_view xml, const std::string & tag, std::size_t from = 0)
{
    auto open = xml.find("<" + tag + ">", from);
    if (open == std::string_view::npos)
        return std::nullopt;
    auto start = open + tag.size() + 2;
    auto close = xml.find("</" + tag + ">", start);
    if (close == std::string_view::npos)
        return std::nullopt;
    return trim(xml.substr(start, close - start));
}

bool safeXmlText(const std::string & s)
{
    for (char c : s)
        if (c == '<' || c == '>' || c == '&' || static_cast<unsigned char>(c) < 0x20)
            return false;
    return !s.empty() && s.size() < 256;
}

// The fields of IMDS's instance document imprint reads.
struct AzurePublicKey
{
    Text keyData;
};
struct AzureCompute
{
    Text vmId, name, computerName, location, zone, vmSize, resourceGroupName;
    ObjectList<AzurePublicKey> publicKeys;
};
struct AzureInstance
{
    std::optional<AzureCompute> compute;
};

void from_json(const nlohmann::json & j, AzurePublicKey & k)
{
    readKey(j, "keyData", k.keyData);
}

void from_json(const nlohmann::json & j, AzureCompute & c)
{
    readKey(j, "vmId", c.vmId);
    readKey(j, "name", c.name);
    if (auto os = j.find("osProfile"); os != j.end())
        readKey(*os, "computerName", c.computerName);
    readKey(j, "location", c.location);
    readKey(j, "zone", c.zone);
    readKey(j, "vmSize", c.vmSize);
    readKey(j, "resourceGroupName", c.resourceGroupName);
    readKey(j, "publicKeys", c.publicKeys);
}

void from_json(const nlohmann::json & j, AzureInstance & i)
{
    if (auto c = j.find("compute"); c != j.end() && c->is_object())
        from_json(*c, i.compute.emplace());
}

} // namespace

SourceData parseAzureInstance(std::string_view text, const std::string & origin)
{
    auto instance = readJsonDocument<AzureInstance>(text, origin);
    if (!instance.compute)
        throw Error(origin + ": no 'compute' object");
    const AzureCompute & c = *instance.compute;
    SourceData d;
    d.origin = origin;
    d.instanceId = required(c.vmId, origin, "compute.vmId (the instance id)");
    if (!takeHostname(d, c.computerName, "compute.osProfile.computerName in " + origin))
        takeHostname(d, c.name, "compute.name in " + origin);
    for (const auto & k : c.publicKeys.items)
        if (k.keyData.value)
            appendKeyLines(d.publicKeys, *k.keyData);
    d.publicKeysOrigin = "compute.publicKeys in " + origin;
    takePlatformFact(d, "location", c.location);
    takePlatformFact(d, "zone", c.zone);
    takePlatformFact(d, "vm_size", c.vmSize);
    takePlatformFact(d, "name", c.name);
    takePlatformFact(d, "resource_group", c.resourceGroupName);
    return d;
}

AzureGoalState parseAzureGoalState(std::string_view xml, const std::string & origin)
{
    AzureGoalState g;
    auto inc = element(xml, "Incarnation");
    auto container = element(xml, "ContainerId");
    auto roles = xml.find("<RoleInstance>");
    auto instance = roles == std::string_view::npos ? std::nullopt : element(xml, "InstanceId", roles);
    if (!inc || !container || !instance)
        throw Error(origin + ": the goal state lacks Incarnation, ContainerId or RoleInstance/InstanceId");
    g.incarnation = *inc;
    g.containerId = *container;
    g.instanceId = *instance;
    for (const auto * v : {&g.incarnation, &g.containerId, &g.instanceId})
        if (!safeXmlText(*v))
            throw Error(origin + ": unexpected characters in the goal state");
    return g;
}

std::string azureHealthReport(const AzureGoalState & g)
{
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
           "<Health xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n"
           "  <GoalStateIncarnation>" + g.incarnation + "</GoalStateIncarnation>\n"
           "  <Container>\n"
           "    <ContainerId>" + g.containerId + "</ContainerId>\n"
           "    <RoleInstanceList>\n"
           "      <Role>\n"
           "        <InstanceId>" + g.instanceId + "</InstanceId>\n"
           "        <Health>\n"
           "          <State>Ready</State>\n"
           "        </Health>\n"
           "      </Role>\n"
           "    </RoleInstanceList>\n"
           "  </Container>\n"
           "</Health>\n";
}

void reportAzureReady(HttpClient & http, const std::string & wireserver)
{
    std::vector<std::pair<std::string, std::string>> headers{{"x-ms-version", kWireVersion},
                                                             {"x-ms-agent-name", kAgentName}};
    std::string goalUrl = joinUrl(wireserver, "/machine/?comp=goalstate");
    AzureGoalState g = parseAzureGoalState(getDocument(http, goalUrl, headers), goalUrl);
    HttpRequest post;
    post.method = "POST";
    post.url = joinUrl(wireserver, "/machine/?comp=health");
    post.headers = headers;
    post.headers.emplace_back("Content-Type", "text/xml;charset=utf-8");
    post.body = azureHealthReport(g);
    if (!http.request(post))
        throw Error(post.url + ": not found (HTTP 404)");
}

std::unique_ptr<Provider> makeAzureProvider()
{
    return std::make_unique<AzureProvider>();
}

} // namespace imprint
