// Alibaba's token: taken before the first GET, and taken again once when a GET says 401 (it
// lapsed, or the instance's metadata options changed).

#include "agent/system/http.hh"
#include "providers/alibaba/alibaba.hh"
#include "providers/provider.hh"
#include "tests/support/platform-server-helpers.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

using namespace imprint;
using namespace imprint::test;

TEST(Alibaba, A401GetsOneNewTokenAndOneRetry)
{
    std::string tmp = makeTempDir("alibaba");
    auto ps = startPlatformServer("alibaba", "alibaba/basic", tmp);
    auto refused = std::make_shared<std::atomic<int>>(0);
    *ps->override = [refused](const TestRequest & r) -> std::optional<TestReply> {
        if (r.path == "/latest/meta-data/instance-id" && ++*refused == 1)
            return TestReply::code(401);
        return std::nullopt;
    };
    Host host(tmp);
    Config config;
    auto http = makeHttpClient(config.http);
    FetchContext ctx{host, config, std::nullopt, ps->endpoint, http.get(), nullptr};
    auto d = findProvider("alibaba")->fetch(ctx);
    EXPECT_EQ(d.instanceId, "i-gw8imprintguest0001");
    std::size_t puts = 0;
    for (const auto & r : ps->server->requests())
        puts += r.method == "PUT";
    EXPECT_EQ(puts, 2u);
    std::filesystem::remove_all(tmp);
}

TEST(Alibaba, KeyIdsAreSinglePathSegments)
{
    EXPECT_EQ(parseAlibabaKeyIndex("0/\nskp-bp1abc/\n../\n..\na/b/\n\n"), (std::vector<std::string>{"0", "skp-bp1abc"}));
}
