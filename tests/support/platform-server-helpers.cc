#include "tests/support/platform-server-helpers.hh"

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace imprint::test {

std::optional<std::string> fixtureFile(const std::string & relPath)
{
    std::string path = relPath.starts_with("/") ? relPath : std::string(IMPRINT_FIXTURES_DIR) + "/" + relPath;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string makeTempDir(const std::string & tag)
{
    std::string tmpl = "/tmp/imprint-" + tag + "-XXXXXX";
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp failed");
    return tmpl;
}

namespace {

TestReply serveFile(const std::string & fixture, const std::string & file)
{
    auto data = fixtureFile(fixture + "/" + file);
    return data ? TestReply::text(*data) : TestReply::code(404);
}

using Table = std::map<std::string, std::string>;  // URL path -> fixture file

TestReply fromTable(const Table & table, const std::string & fixture, const TestRequest & r)
{
    auto it = table.find(r.path);
    return it == table.end() ? TestReply::code(404) : serveFile(fixture, it->second);
}

TestHandler platformHandler(const std::string & platform, const std::string & fixture, std::shared_ptr<bool> allowV1)
{
    const std::string kToken = "AQAEAFakeTokenValue==";
    if (platform == "ec2") {
        Table t{{"/latest/meta-data/instance-id", "instance-id"},
                {"/latest/meta-data/local-hostname", "local-hostname"},
                {"/latest/meta-data/hostname", "hostname"},
                {"/latest/meta-data/public-keys/", "public-keys"},
                {"/latest/meta-data/public-keys/0/openssh-key", "public-keys-0-openssh-key"},
                {"/latest/meta-data/public-keys/1/openssh-key", "public-keys-1-openssh-key"},
                {"/latest/meta-data/placement/availability-zone", "availability-zone"},
                {"/latest/meta-data/placement/region", "region"},
                {"/latest/meta-data/instance-type", "instance-type"},
                {"/latest/user-data", "user-data"}};
        return [=](const TestRequest & r) {
            if (r.path == "/latest/api/token") {
                if (r.method != "PUT")
                    return TestReply::code(405);
                if (!r.header("x-aws-ec2-metadata-token-ttl-seconds"))
                    return TestReply::code(400);
                return TestReply::text(kToken);
            }
            if (r.method != "GET")
                return TestReply::code(405);
            if (r.header("x-aws-ec2-metadata-token") != kToken && !*allowV1)
                return TestReply::code(401);
            return fromTable(t, fixture, r);
        };
    }
    if (platform == "gce") {
        const std::string v1 = "/computeMetadata/v1";
        Table t{{v1 + "/instance/id", "id"},
                {v1 + "/instance/hostname", "hostname"},
                {v1 + "/instance/zone", "zone"},
                {v1 + "/instance/machine-type", "machine-type"},
                {v1 + "/project/project-id", "project-id"},
                {v1 + "/instance/attributes/ssh-keys", "instance-ssh-keys"},
                {v1 + "/instance/attributes/block-project-ssh-keys", "block-project-ssh-keys"},
                {v1 + "/project/attributes/ssh-keys", "project-ssh-keys"},
                {v1 + "/instance/attributes/user-data", "user-data"}};
        return [=](const TestRequest & r) {
            if (r.header("metadata-flavor") != "Google")
                return TestReply::text("Missing Metadata-Flavor:Google header.", 403);
            return fromTable(t, fixture, r);
        };
    }
    if (platform == "azure") {
        return [=](const TestRequest & r) {
            if (r.path == "/machine/" && r.header("x-ms-version")) {
                if (r.query == "comp=goalstate" && r.method == "GET")
                    return serveFile(fixture, "goalstate.xml");
                if (r.query == "comp=health" && r.method == "POST")
                    return TestReply::code(200);
                return TestReply::code(400);
            }
            if (r.header("metadata") != "true")
                return TestReply::text("{\"error\": \"Bad request. Required metadata header not specified\"}", 400);
            if (r.query.find("api-version=") == std::string::npos)
                return TestReply::text("{\"error\": \"Bad request. api-version was not specified\"}", 400);
            if (r.path == "/metadata/instance")
                return serveFile(fixture, "instance.json");
            if (r.path == "/metadata/instance/compute/userData")
                return serveFile(fixture, "userData");
            return TestReply::code(404);
        };
    }
    if (platform == "openstack") {
        return [=](const TestRequest & r) {
            if (r.path.find("..") != std::string::npos || !r.path.starts_with("/openstack/"))
                return TestReply::code(404);
            return serveFile(fixture, r.path.substr(1));
        };
    }
    if (platform == "digitalocean")
        return [=](const TestRequest & r) { return fromTable({{"/metadata/v1.json", "v1.json"}}, fixture, r); };
    if (platform == "hetzner") {
        return [=](const TestRequest & r) {
            if (r.path == "/hetzner/v1/userdata") {
                auto ud = fixtureFile(fixture + "/userdata");
                return ud ? TestReply::text(*ud) : TestReply::code(204);
            }
            return fromTable({{"/hetzner/v1/metadata", "metadata"}}, fixture, r);
        };
    }
    if (platform == "oracle") {
        return [=](const TestRequest & r) {
            if (r.header("authorization") != "Bearer Oracle")
                return TestReply::text("{\"code\": \"NotAuthorized\"}", 401);
            return fromTable({{"/opc/v2/instance/", "instance.json"}}, fixture, r);
        };
    }
    if (platform == "incus") {
        return [=](const TestRequest & r) {
            return fromTable({{"/1.0/meta-data", "meta-data"}, {"/1.0/config/cloud-init.user-data", "user-data"}},
                             fixture, r);
        };
    }
    throw std::runtime_error("no stand-in server for " + platform);
}

std::string primaryPathOf(const std::string & platform)
{
    static const std::map<std::string, std::string> paths{
        {"ec2", "/latest/meta-data/instance-id"},       {"gce", "/computeMetadata/v1/instance/id"},
        {"azure", "/metadata/instance"},                {"openstack", "/openstack/latest/meta_data.json"},
        {"digitalocean", "/metadata/v1.json"},          {"hetzner", "/hetzner/v1/metadata"},
        {"oracle", "/opc/v2/instance/"},                {"incus", "/1.0/meta-data"}};
    return paths.at(platform);
}

} // namespace

std::unique_ptr<PlatformServer> startPlatformServer(const std::string & platform, const std::string & fixture,
                                                    const std::string & socketDir)
{
    auto ps = std::make_unique<PlatformServer>();
    ps->platform = platform;
    ps->primaryPath = primaryPathOf(platform);
    TestHandler inner = platformHandler(platform, fixture, ps->allowImdsV1);
    auto override = ps->override;
    TestHandler handler = [inner, override](const TestRequest & r) {
        if (*override)
            if (auto reply = (*override)(r))
                return *reply;
        return inner(r);
    };
    if (platform == "incus") {
        std::string sock = socketDir + "/incus.sock";
        ps->server = std::make_unique<TestHttpServer>(handler, sock);
        ps->endpoint = "unix:" + sock;
    } else {
        ps->server = std::make_unique<TestHttpServer>(handler);
        ps->endpoint = ps->server->url();
    }
    return ps;
}

} // namespace imprint::test
