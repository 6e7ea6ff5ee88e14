// EC2's parsers of local signals and of its answers.
#include "providers/ec2/ec2.hh"

#include <gtest/gtest.h>

using namespace imprint;

TEST(Ec2, ProductUuidSignal)
{
    EXPECT_TRUE(isEc2ProductUuid("ec2a8f3c-0000-0000-0000-000000000000"));
    EXPECT_TRUE(isEc2ProductUuid("45E12AEC-DCD1-B213-94ED-012345ABCDEF"));
    EXPECT_FALSE(isEc2ProductUuid("4c4c4544-0042-3510-8052-b4c04f4e3332"));
    EXPECT_FALSE(isEc2ProductUuid("ec"));
}
