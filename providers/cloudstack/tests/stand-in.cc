// Apache CloudStack for the shared tests: the virtual router's tree under /latest/, open.
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

const RegisterProviderTable kTable{{
    .platform = "cloudstack",
    .detectedOn = {{dmi({{"sys_vendor", "Apache Software Foundation"}, {"product_name", "CloudStack KVM Hypervisor"}}),
                    "product_name"}},
    .nearMisses = {{{"sys_vendor", "Apache Software Foundation"}}},
    .server = StandInServer{.primaryPath = "/latest/meta-data/instance-id",
                            .handler = [](const StandInState & state) -> TestHandler {
                                return [=](const TestRequest & r) { return serveMetaDataTree(state, {"latest"}, r); };
                            }},
    .basic = ExpectedIdentity{"8f3c2a1d-4b5e-4f60-9a7b-c1d2e3f40516", "app-02", std::nullopt, 2, "America/Toronto"},
}};

} // namespace
} // namespace imprint::test
