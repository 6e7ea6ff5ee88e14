// /etc/imprint/imprint.yaml: every error must be an imprint::Error naming the key.
#include "agent/cli/config.hh"
#include "tests/fuzz/fuzz-common.hh"

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    fuzz::expectOnlyError([&] { (void) parseConfig(std::string(fuzz::asText(data, size)), "fuzz"); });
    return 0;
}
