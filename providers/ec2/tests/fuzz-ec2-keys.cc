// EC2's public-keys/ listing and the product_uuid signal. Property: an index becomes a URL path
// segment (public-keys/<index>/openssh-key), so it is never empty and never holds a '/'.
// fuzz-seeds: fixtures/*/public-keys
#include "providers/ec2/ec2.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <cstdlib>

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    auto text = fuzz::asText(data, size);
    fuzz::expectOnlyError([&] {
        for (const auto & index : parseEc2PublicKeyIndex(text))
            if (index.empty() || index.find('/') != std::string::npos)
                std::abort();
        (void) isEc2ProductUuid(text);
    });
    return 0;
}
