#include "tests/support/platform-server-helpers.hh"

#include "providers/provider.hh"
#include "tests/support/test-helpers.hh"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace imprint::test {

std::optional<std::string> fixtureFile(const std::string & relPath)
{
    std::ifstream in(fixture(relPath), std::ios::binary);
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

std::map<std::string, std::string> dmi(const std::map<std::string, std::string> & fields)
{
    std::map<std::string, std::string> files;
    for (const auto & [k, v] : fields)
        files["/sys/class/dmi/id/" + k] = v + "\n";  // the kernel ends each value with a newline
    return files;
}

namespace {

std::vector<ProviderTable> & tables()
{
    static std::vector<ProviderTable> all;
    return all;
}

} // namespace

RegisterProviderTable::RegisterProviderTable(ProviderTable table)
{
    tables().push_back(std::move(table));
}

std::vector<const ProviderTable *> providerTables()
{
    std::vector<const ProviderTable *> out;
    for (const auto & p : allProviders())
        for (const auto & t : tables())
            if (t.platform == p->name())
                out.push_back(&t);
    if (out.size() != tables().size())
        throw std::logic_error("a provider table names no registered provider");
    return out;
}

const ProviderTable & providerTable(const std::string & platform)
{
    for (const auto & t : tables())
        if (t.platform == platform)
            return t;
    throw std::runtime_error("providers/" + platform + "/tests/stand-in.cc declares no table");
}

TestReply serveFixture(const StandInState & state, const std::string & file)
{
    auto data = fixtureFile(state.fixtureDir + "/" + file);
    return data ? TestReply::text(*data) : TestReply::code(404);
}

TestReply serveRoute(const RouteTable & routes, const StandInState & state, const TestRequest & r)
{
    auto it = routes.find(r.path);
    return it == routes.end() ? TestReply::code(404) : serveFixture(state, it->second);
}

TestReply serveMetaDataTree(const StandInState & state, const std::vector<std::string> & versions, const TestRequest & r)
{
    if (r.method != "GET" || r.path.find("..") != std::string::npos)
        return TestReply::code(r.method != "GET" ? 405 : 404);
    for (const auto & v : versions) {
        std::string prefix = "/" + v + "/";
        if (!r.path.starts_with(prefix))
            continue;
        std::string rel = r.path.substr(prefix.size());
        return serveFixture(state, rel.empty() || rel.ends_with('/') ? rel + "_index" : rel);
    }
    return TestReply::code(404);
}

std::unique_ptr<PlatformServer> startPlatformServer(const std::string & platform, const std::string & fixtureDir,
                                                    const std::string & socketDir)
{
    const ProviderTable & table = providerTable(platform);
    if (!table.server)
        throw std::runtime_error(platform + " has no stand-in server");
    auto ps = std::make_unique<PlatformServer>();
    ps->platform = platform;
    ps->primaryPath = table.server->primaryPath;
    ps->state.fixtureDir = fixture(fixtureDir).string();
    TestHandler inner = table.server->handler(ps->state);
    auto override = ps->override;
    TestHandler handler = [inner, override](const TestRequest & r) {
        if (*override)
            if (auto reply = (*override)(r))
                return *reply;
        return inner(r);
    };
    if (table.server->unixSocket) {
        std::string sock = socketDir + "/" + platform + ".sock";
        ps->server = std::make_unique<TestHttpServer>(handler, sock);
        ps->endpoint = "unix:" + sock;
    } else {
        ps->server = std::make_unique<TestHttpServer>(handler);
        ps->endpoint = ps->server->url();
    }
    return ps;
}

} // namespace imprint::test
