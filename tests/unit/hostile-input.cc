// Regressions of what the fuzzers found (tests/fuzz/, docs/fuzzing.md), kept as plain unit tests
// so the ordinary build checks them too.

#include "agent/fetch/documents.hh"
#include "agent/system/error.hh"
#include "agent/normalize/instance.hh"
#include "agent/system/memory-budget.hh"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <nlohmann/json.hpp>

using namespace imprint;

namespace {

std::string repeat(const std::string & s, int n)
{
    std::string out;
    for (int i = 0; i < n; ++i)
        out += s;
    return out;
}

} // namespace

// What yaml-cpp's node API builds, converted as parseYaml did before it read yaml-cpp's events:
// the event builder must give the same tree.
nlohmann::json viaNodes(const YAML::Node & node)
{
    switch (node.Type()) {
    case YAML::NodeType::Scalar: {
        const std::string & s = node.Scalar();
        if (node.Tag() == "?") {
            if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL")
                return nullptr;
            for (const char * y : {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
                if (s == y) return true;
            for (const char * n : {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})
                if (s == n) return false;
        }
        return s;
    }
    case YAML::NodeType::Sequence: {
        auto out = nlohmann::json::array();
        for (const auto & item : node)
            out.push_back(viaNodes(item));
        return out;
    }
    case YAML::NodeType::Map: {
        auto out = nlohmann::json::object();
        for (const auto & kv : node)
            out[kv.first.Scalar()] = viaNodes(kv.second);
        return out;
    }
    default:
        return nullptr;
    }
}

bool hasNonScalarKey(const YAML::Node & node)
{
    if (node.IsSequence())
        for (const auto & item : node)
            if (hasNonScalarKey(item))
                return true;
    if (node.IsMap())
        for (const auto & kv : node)
            if (!kv.first.IsScalar() || hasNonScalarKey(kv.second))
                return true;
    return false;
}

TEST(HostileInput, TheEventBuilderGivesWhatYamlCppsNodesGave)
{
    const std::vector<std::string> texts = {
        "a:\n- b\n- c\n",                                                   // indentless sequence
        "x:\n  config:\n  - m: 1\n    s:\n    - d:\n      - 1\n",           // plain scalar, then structure
        "network-config:\n  config:\n  - name: eth0\n    subnets:\n    - dns:\n      - 1.1.1.1\n",
        "a: \n: v\n", "[a: b]\n", "{\"k\"::  x}\n", "[[a: [b: [c: d]]]]\n", "[? a : b]\n",
        "{" + repeat(": ", 40) + "a}\n", "[" + repeat(": ", 40) + "a]\n",
        repeat("- ", 40) + "x\n", repeat("[", 40) + repeat("]", 40) + "\n",
        "k: |\n  text [[[[\n  more {{{{\n", "k: 'multi\n  line [[[[ quoted'\nl: plain\n  continued [[[[\n",
        "a: &x {b: [1, yes, ~, 'no', \"on\"]}\nc: *x\nd: !!str 12\ne: !custom off\n", "dup: 1\ndup: 2\n",
        "", "# only a comment\n", "--- plain\n", "first\n---\nsecond\n", "? |\n  block key\n: v\n",
    };
    for (const auto & t : texts) {
        YAML::Node n;
        try {
            n = YAML::Load(t);
        } catch (const YAML::Exception &) {
            EXPECT_THROW(parseYaml(t, "t"), Error) << t;
            continue;
        }
        if (hasNonScalarKey(n)) {
            EXPECT_THROW(parseYaml(t, "t"), Error) << t;  // a mapping key is not a scalar
            continue;
        }
        EXPECT_EQ(parseYaml(t, "t"), viaNodes(n)) << t;
    }
}

TEST(HostileInput, FlowCollectionsThatYamlCppQueuesWholeHitTheMemoryBudget)
{
    // yaml-cpp scans all of "- [a, a, ...]" before its parser sees the first "a": 16 MiB of it
    // grew past 1 GB. The budget stops it, with the document's name.
    if (!MemoryBudget::enforced())
        GTEST_SKIP() << "built with AddressSanitizer, which owns operator new: the YAML memory budget is NOT "
                        "tested in this build (the plain build tests it)";
    for (const auto & [head, tail] : {std::pair<std::string, std::string>{"x:\n- [", "a]\n"}, {"x: [[", "a]]\n"}}) {
        std::string text = head + repeat("a,", 4 << 20) + tail;
        try {
            parseYaml(text, "/seed/user-data");
            ADD_FAILURE() << head << ": parsed";
        } catch (const Error & e) {
            std::string what = e.what();
            EXPECT_NE(what.find("/seed/user-data: needs more than 128 MiB to parse"), std::string::npos) << what;
        }
    }
    // A large document that yaml-cpp streams is within it.
    std::string wide = "x: [" + repeat("a, ", 100000) + "a]\n";
    EXPECT_EQ(parseYaml(wide, "t")["x"].size(), 100001u);
}

TEST(HostileInput, FlowColonsCannotNestPastTheCap)
{
    EXPECT_THROW(parseYaml("{" + repeat(": ", 300) + "a}\n", "t"), Error);
    // Ordinary flow documents stay well under the cap.
    std::string wide = "{";
    for (int i = 0; i < 500; ++i)
        wide += "k" + std::to_string(i) + ": v, ";
    wide += "end: 1}\n";
    EXPECT_NO_THROW(parseYaml(wide, "t"));
}

TEST(HostileInput, YamlRefusesControlCharacters)
{
    for (std::string bad : {std::string("-\x04"), std::string("x\x04" "a: b"), std::string("a: \x1b[31m"), std::string("a: b\x7f")}) {
        try {
            parseYaml(bad, "user-data");
            ADD_FAILURE() << "accepted a control character";
        } catch (const Error & e) {
            EXPECT_NE(std::string(e.what()).find("control character"), std::string::npos) << e.what();
        }
    }
    EXPECT_NO_THROW(parseYaml("a:\tb\r\nc: d\n", "t"));
    EXPECT_THROW(parseYaml("\r\rk: v\n", "t"), Error);  // a lone CR
}

TEST(HostileInput, JsonNumberOverflowIsAnImprintError)
{
    EXPECT_THROW(parseJson("{\"a\": 1e999}", "meta_data.json"), Error);
    EXPECT_THROW(parseJson("[-77777E777777]", "meta_data.json"), Error);
}

TEST(HostileInput, JsonErrorsDoNotQuoteTheDocument)
{
    try {
        parseJson("{\"admin_pass\": \"hunter2-secret", "meta_data.json");
        FAIL() << "accepted a cut-short document";
    } catch (const Error & e) {
        EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("meta_data.json"), std::string::npos) << e.what();
    }
}

TEST(HostileInput, SshKeysMustBeUtf8WithoutNul)
{
    std::string key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGo3xqU0rJp7ZCt6ZUvm0h3c9k5d0dC1l0kSmwNtJ0Fa ";
    EXPECT_TRUE(isValidSshPublicKey(key + "jos\xc3\xa9@laptop"));
    EXPECT_FALSE(isValidSshPublicKey(key + "jos\xe9@laptop"));  // Latin-1
    EXPECT_FALSE(isValidSshPublicKey(key + std::string("a\0b", 3)));
}

TEST(HostileInput, JsonArraysOfObjectsParseInLinearTime)
{
    // nlohmann's callback parser scanned the parent at every end of object: this took 22 s.
    std::string text = "[";
    for (int i = 0; i < 300000; ++i)
        text += "{},";
    text += "{}]";
    EXPECT_EQ(parseJson(text, "t").size(), 300001u);
    std::string deep(100, '[');
    EXPECT_THROW(parseJson(deep + std::string(100, ']'), "t"), Error);
    EXPECT_EQ(parseJson(std::string(64, '[') + std::string(64, ']'), "t").size(), 1u);
}

TEST(HostileInput, YamlNodesAreCountedWithoutYamlCppsNodeGraph)
{
    std::string list = "x:\n";
    for (int i = 0; i < 1000001; ++i)
        list += "- a\n";
    try {
        parseYaml(list, "big");
        FAIL() << "a million and one items passed the node budget";
    } catch (const Error & e) {
        EXPECT_NE(std::string(e.what()).find("big: expands to more than 1000000 nodes"), std::string::npos) << e.what();
    }
    auto doc = parseYaml("a: &x [1, {b: yes}]\nc: *x\nn: &s yes\n*s : 2\n? k\n", "t");
    EXPECT_EQ(doc["c"], doc["a"]);
    EXPECT_EQ(doc["yes"], "2");  // an alias as a key: the scalar's text, as yaml-cpp's nodes gave it
    EXPECT_EQ(doc["a"][1]["b"], true);
    EXPECT_EQ(doc["k"], nullptr);
    EXPECT_THROW(parseYaml("[a]: 1\n", "t"), Error);  // a mapping key is not a scalar
    EXPECT_THROW(parseYaml("a: &x [1]\n*x : 2\n", "t"), Error);
}

TEST(HostileInput, TheDepthCapIsWhereItWas)
{
    // As the node converter had it: the root is depth 0, nothing deeper than 64.
    auto nested = [](int n, const std::string & inner) { return repeat("[", n) + inner + repeat("]", n); };
    EXPECT_NO_THROW(parseYaml(nested(64, "a"), "t"));   // a scalar at depth 64
    EXPECT_THROW(parseYaml(nested(65, "a"), "t"), Error);
    EXPECT_NO_THROW(parseYaml(nested(65, ""), "t"));    // an empty collection at depth 64
    EXPECT_THROW(parseYaml(nested(66, ""), "t"), Error);
}
