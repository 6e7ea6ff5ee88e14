// A config drive wins over the OpenStack metadata service on the same machine.
#include "tests/support/detect-helpers.hh"

#include <gtest/gtest.h>

using namespace imprint;
using namespace imprint::test;

TEST(ConfigDriveDetect, ConfigDriveBeatsTheOpenStackMetadataService)
{
    for (const char * label : {"config-2", "CONFIG-2"}) {
        FakeRoot root;
        root.dmi(with(kLaptop, {{"product_name", "OpenStack Nova"}}));
        root.file(std::string("/dev/disk/by-label/") + label, "");
        auto d = root.detect();
        ASSERT_TRUE(d);
        EXPECT_EQ(d->provider->name(), "configdrive");
        EXPECT_NE(d->signal.find(label), std::string::npos);
        // And the metadata service refuses by itself, whatever the order.
        EXPECT_FALSE(findProvider("openstack")->detect(Host(root.dir()), Config{}));
    }
}
