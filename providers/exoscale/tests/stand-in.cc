// Exoscale for the shared tests: the CloudStack-style tree under /1.0/ (and /latest/), open.
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

const RegisterProviderTable kTable{{
    .platform = "exoscale",
    .detectedOn = {{dmi({{"sys_vendor", "Exoscale"}, {"product_name", "Exoscale Compute Platform"}}), "product_name"}},
    .nearMisses = {{{"product_name", "exoscale"}}},
    .server = StandInServer{.primaryPath = "/1.0/meta-data/instance-id",
                            .handler = [](const StandInState & state) -> TestHandler {
                                return [=](const TestRequest & r) { return serveMetaDataTree(state, {"1.0", "latest"}, r); };
                            }},
    .basic = ExpectedIdentity{"5b1e2f0c-7a3d-4c1e-9f2a-0d6b8e4c3a71", "web-01", std::nullopt, 1, "Europe/Zurich"},
}};

} // namespace
} // namespace imprint::test
