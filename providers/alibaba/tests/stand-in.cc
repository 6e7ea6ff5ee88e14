// Alibaba Cloud ECS for the shared tests: the token as Alibaba enforces it (PUT with a TTL of
// 1..21600 seconds, else 400; refused through a proxy, X-Forwarded-For, with 403; GETs with an
// unknown token 401). This stand-in is in the hardened mode: a GET without a token is 403.
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

const std::string kToken = "AQAEAFakeAliyunTokenValue==";

TestHandler metadataService(const StandInState & state)
{
    return [=](const TestRequest & r) {
        if (r.path == "/latest/api/token") {
            if (r.method != "PUT")
                return TestReply::code(405);
            if (r.header("x-forwarded-for"))
                return TestReply::code(403);
            auto ttl = r.header("x-aliyun-ecs-metadata-token-ttl-seconds");
            long seconds = ttl && !ttl->empty() && ttl->find_first_not_of("0123456789") == std::string::npos && ttl->size() < 7
                ? std::stol(*ttl) : 0;
            if (seconds < 1 || seconds > 21600)
                return TestReply::code(400);
            return TestReply::text(kToken);
        }
        auto token = r.header("x-aliyun-ecs-metadata-token");
        if (!token && !*state.acceptWithoutToken)
            return TestReply::code(403);
        if (token && *token != kToken)
            return TestReply::code(401);
        return serveMetaDataTree(state, {"latest", "2016-01-01"}, r);
    };
}

const RegisterProviderTable kTable{{
    .platform = "alibaba",
    .detectedOn = {{dmi({{"sys_vendor", "Alibaba Cloud"}, {"product_name", "Alibaba Cloud ECS"}}), "product_name"}},
    .nearMisses = {{{"product_name", "Alibaba Cloud"}}, {{"product_name", "alibaba cloud ecs"}}},
    .server = StandInServer{.primaryPath = "/latest/meta-data/instance-id", .requiresHeader = true, .handler = metadataService},
    .basic = ExpectedIdentity{"i-gw8imprintguest0001", "ali-guest", std::nullopt, 2, "Asia/Shanghai"},
}};

} // namespace
} // namespace imprint::test
