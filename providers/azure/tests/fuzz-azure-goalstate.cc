// The Azure wireserver's goal state XML, and the health report built from it.
// fuzz-seeds: fixtures/*/goalstate.xml
#include "providers/azure/azure.hh"
#include "tests/fuzz/fuzz-common.hh"

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    auto text = fuzz::asText(data, size);
    fuzz::expectOnlyError([&] { (void) azureHealthReport(parseAzureGoalState(text, "fuzz")); });
    return 0;
}
