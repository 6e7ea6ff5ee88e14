// parseYaml on any text. Properties beyond "only imprint::Error": what it accepts is no deeper
// than kMaxDocumentDepth (the builder stops yaml-cpp's recursion there), and, for texts without
// aliases, exactly what yaml-cpp's own node API builds from the same text (the event builder
// changes how the tree is made, not what it is; both read scalars through utf8FromYamlCpp).
#include "agent/fetch/documents.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

using namespace imprint;
using nlohmann::json;

namespace {

std::size_t depthOf(const json & root)
{
    std::size_t best = 0;
    std::vector<std::pair<const json *, std::size_t>> todo{{&root, 1}};
    while (!todo.empty()) {
        auto [j, d] = todo.back();
        todo.pop_back();
        best = std::max(best, d);
        if (j->is_structured())
            for (const auto & item : *j)
                todo.push_back({&item, d + 1});
    }
    return best;
}

// yaml-cpp's node tree as parseYaml resolves scalars; nullopt where it has a non-scalar key.
std::optional<json> viaNodes(const YAML::Node & node, std::size_t depth)
{
    if (depth > kMaxDocumentDepth + 1)
        return std::nullopt;
    switch (node.Type()) {
    case YAML::NodeType::Scalar: {
        const std::string s = utf8FromYamlCpp(node.Scalar(), "fuzz");
        if (node.Tag() == "?") {
            if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL")
                return json(nullptr);
            for (const char * y : {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
                if (s == y) return json(true);
            for (const char * n : {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})
                if (s == n) return json(false);
        }
        return json(s);
    }
    case YAML::NodeType::Sequence: {
        json out = json::array();
        for (const auto & item : node) {
            auto v = viaNodes(item, depth + 1);
            if (!v) return std::nullopt;
            out.push_back(std::move(*v));
        }
        return out;
    }
    case YAML::NodeType::Map: {
        json out = json::object();
        for (const auto & kv : node) {
            if (!kv.first.IsScalar()) return std::nullopt;
            auto v = viaNodes(kv.second, depth + 1);
            if (!v) return std::nullopt;
            out[utf8FromYamlCpp(kv.first.Scalar(), "fuzz")] = std::move(*v);
        }
        return out;
    }
    default:
        return json(nullptr);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    auto text = fuzz::asText(data, size);
    std::optional<json> parsed;
    fuzz::expectOnlyError([&] { parsed = parseYaml(text, "fuzz"); });
    if (!parsed)
        return 0;
    (void) parsed->dump();
    if (depthOf(*parsed) > kMaxDocumentDepth + 1) {  // a scalar inside 64 collections is depth 65
        std::fprintf(stderr, "parseYaml accepted a tree of depth %zu\n", depthOf(*parsed));
        std::abort();
    }
    // Texts parseYaml accepted are small enough for yaml-cpp's node API (the fuzzer's inputs are
    // a few KiB); aliases share nodes there, so the comparison leaves them out.
    if (text.find('&') != std::string_view::npos || text.find('*') != std::string_view::npos)
        return 0;
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception &) {
        std::fprintf(stderr, "parseYaml accepted what YAML::Load refuses\n");
        std::abort();
    }
    auto expected = viaNodes(root, 0);
    if (expected && *expected != *parsed) {
        std::fprintf(stderr, "parseYaml built %s, yaml-cpp's nodes %s\n", parsed->dump().c_str(), expected->dump().c_str());
        std::abort();
    }
    return 0;
}
