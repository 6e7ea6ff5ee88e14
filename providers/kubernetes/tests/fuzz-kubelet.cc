// kubelet's downward-API labels/annotations files (Go %q values). Property: every key that
// parses is a Kubernetes qualified name.
#include "agent/fetch/documents.hh"
#include "providers/kubernetes/kubelet-format.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <cstdlib>

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    auto text = fuzz::asText(data, size);
    fuzz::expectOnlyError([&] {
        for (const auto & [k, v] : parseKubeletMap(text, "fuzz")) {
            // Values may hold any bytes (Go's %q spells invalid UTF-8 as \xNN); the kubernetes
            // source checks them before they become facts. Keys must be names.
            if (!isKubernetesQualifiedName(k))
                std::abort();
            (void) v;
        }
    });
    fuzz::expectOnlyError([&] {
        (void) unquoteGoString(text);
    });
    return 0;
}
