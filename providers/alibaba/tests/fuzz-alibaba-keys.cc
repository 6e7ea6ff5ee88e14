// Alibaba's public-keys/ listing. Property: a key id becomes one URL path segment
// (public-keys/<id>/openssh-key): never empty, never '/', '.' or '..'.
// fuzz-seeds: fixtures/*/meta-data/public-keys/_index
#include "providers/alibaba/alibaba.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <cstdlib>

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    auto text = fuzz::asText(data, size);
    fuzz::expectOnlyError([&] {
        for (const auto & id : parseAlibabaKeyIndex(text))
            if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos)
                std::abort();
    });
    return 0;
}
