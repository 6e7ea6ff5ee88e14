// parseJson and parseYamlOrJson: UTF-8/NUL checks, the depth cap, and a dump/parse round trip of
// every accepted document.
#include "agent/fetch/documents.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <cstdlib>

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    auto text = fuzz::asText(data, size);
    fuzz::expectOnlyError([&] {
        auto j = parseJson(text, "fuzz");
        // Whatever was accepted dumps and reads back as the same tree.
        auto again = parseJson(j.dump(), "fuzz-again");
        if (again.dump() != j.dump())
            std::abort();
    });
    fuzz::expectOnlyError([&] { (void) parseYamlOrJson(text, "fuzz").dump(); });
    return 0;
}
