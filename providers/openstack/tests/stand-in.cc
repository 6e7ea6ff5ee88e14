// The OpenStack metadata service for the shared tests: the fixture's openstack/ tree as served.
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

TestHandler metadataService(const StandInState & state)
{
    return [=](const TestRequest & r) {
        if (r.path.find("..") != std::string::npos || !r.path.starts_with("/openstack/"))
            return TestReply::code(404);
        return serveFixture(state, r.path.substr(1));
    };
}

const RegisterProviderTable kTable{{
    .platform = "openstack",
    .detectedOn = {
        {dmi({{"sys_vendor", "OpenStack Foundation"}, {"product_name", "OpenStack Nova"}}), "product_name"},
        {dmi({{"sys_vendor", "QEMU"}, {"product_name", "Standard PC"}, {"chassis_asset_tag", "OpenTelekomCloud"}}), "chassis_asset_tag"},
        {dmi({{"chassis_asset_tag", "HUAWEICLOUD"}}), "chassis_asset_tag"},
    },
    .nearMisses = {{{"product_name", "OpenStack"}}},
    .server = StandInServer{.primaryPath = "/openstack/latest/meta_data.json", .handler = metadataService},
    .basic = ExpectedIdentity{"83679162-1378-4288-a2d4-70e13ec132aa", "test-vm", "novalocal", 1, "Europe/Berlin"},
}};

} // namespace
} // namespace imprint::test
