#include "agent/fetch/documents.hh"
#include "agent/system/error.hh"

#include <gtest/gtest.h>

using namespace imprint;
using nlohmann::json;

TEST(Documents, YamlScalarsResolveLikePyYaml)
{
    json j = parseYaml("a: yes\nb: off\nc: ~\nd: 'yes'\ne: 0755\nf: hello world\ng:\n", "t");
    EXPECT_EQ(j["a"], true);
    EXPECT_EQ(j["b"], false);
    EXPECT_TRUE(j["c"].is_null());
    EXPECT_EQ(j["d"], "yes");  // quoted: a string
    EXPECT_EQ(j["e"], "0755");
    EXPECT_EQ(j["f"], "hello world");
    EXPECT_TRUE(j["g"].is_null());
}

TEST(Documents, JsonIsReadAsJson)
{
    json j = parseYamlOrJson("{\"instance-id\": \"abc\", \"n\": 5}", "t");
    EXPECT_EQ(j["instance-id"], "abc");
    EXPECT_EQ(scalarText(j["n"]), "5");
}

TEST(Documents, ErrorsNameTheOrigin)
{
    try {
        parseYaml("a: [1, 2\nb: c", "/seed/meta-data");
        FAIL() << "no error";
    } catch (const Error & e) {
        EXPECT_NE(std::string(e.what()).find("/seed/meta-data"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("line"), std::string::npos) << e.what();
    }
    EXPECT_THROW(parseJson("{\"a\": }", "x.json"), Error);
}

TEST(Documents, RejectsNulAndInvalidUtf8)
{
    EXPECT_THROW(parseYaml(std::string("a: b\0c", 6), "t"), Error);
    EXPECT_THROW(parseYaml("a: \xff\xfe", "t"), Error);
    EXPECT_THROW(parseYaml("a: \xc0\xaf", "t"), Error);        // overlong '/'
    EXPECT_THROW(parseYaml("a: \xed\xa0\x80", "t"), Error);    // surrogate
    EXPECT_NO_THROW(parseYaml("a: ünïcödé 🚀", "t"));
}

// YAML's double-quoted escapes name characters; whatever yaml-cpp makes of them, the tree holds
// their UTF-8 (a fuzzer's "\N" once left a lone 0x85 that nlohmann's dump threw on).
TEST(Documents, EscapedCharactersAreUtf8)
{
    json j = parseYaml("a: \"x\\Ny\\_z\"\nb: \"\\L\\P\\x85\\u00A0\\U0001F680\"\n\"k\\N\": 1\n", "t");
    EXPECT_EQ(j["a"], "x\u0085y\u00A0z");
    EXPECT_EQ(j["b"], "\u2028\u2029\u0085\u00A0\U0001F680");
    EXPECT_TRUE(j.contains("k\u0085"));
    EXPECT_NO_THROW((void) j.dump());
    EXPECT_TRUE(isValidUtf8(j["a"].get<std::string>()));
}

TEST(Documents, DeepFlowNestingIsRefused)
{
    std::string deep(100000, '[');
    EXPECT_THROW(parseYaml(deep, "t"), Error);
    std::string deepMap;
    for (int i = 0; i < 50000; ++i) deepMap += "{a: ";
    EXPECT_THROW(parseYaml(deepMap, "t"), Error);
}

TEST(Documents, DeepBlockNestingIsRefused)
{
    std::string text;
    for (int i = 0; i < 3000; ++i)
        text += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k:\n";
    EXPECT_THROW(parseYaml(text, "t"), Error);
    std::string compact;
    for (int i = 0; i < 20000; ++i) compact += "- ";
    compact += "x\n";
    EXPECT_THROW(parseYaml(compact, "t"), Error);
}

TEST(Documents, QuotesCannotHideNesting)
{
    // Closing brackets inside quoted strings must not lower the bound.
    std::string text;
    for (int i = 0; i < 5000; ++i) text += "[ \"]]]]\", ";
    EXPECT_THROW(parseYaml(text, "t"), Error);
    // A quote that may only continue a plain scalar makes the scanner pessimistic.
    std::string tricky = "a: x\n  'q\nb: " + std::string(5000, '[') + "\nc: '\n";
    EXPECT_THROW(parseYaml(tricky, "t"), Error);
}

TEST(Documents, OrdinaryDocumentsStayWellUnderTheBound)
{
    std::string cloudConfig = R"(#cloud-config
users:
  - default
  - name: deploy
    groups: [wheel, "docker"]
    ssh_authorized_keys:
      - ssh-ed25519 AAAA deploy
write_files:
  - path: /etc/x
    content: |
      {"json": [1, [2, [3]]], "it's": "fine"}
      [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
runcmd:
  - [ sh, -c, "echo ']]]'" ]
)";
    json j = parseYaml(cloudConfig, "t");
    EXPECT_EQ(j["users"][1]["name"], "deploy");
}

TEST(Documents, AliasExpansionIsCapped)
{
    std::string lol = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    std::string prev = "a";
    for (int i = 0; i < 9; ++i) {
        std::string name = "l" + std::to_string(i);
        lol += name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
               ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
        prev = name;
    }
    EXPECT_THROW(parseYaml(lol, "t"), Error);
}

TEST(Documents, JsonDepthIsCapped)
{
    EXPECT_THROW(parseJson(std::string(10000, '[') + std::string(10000, ']'), "t"), Error);
    EXPECT_NO_THROW(parseJson(std::string(20, '[') + std::string(20, ']'), "t"));
}
