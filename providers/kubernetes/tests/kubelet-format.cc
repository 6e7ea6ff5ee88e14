// kubelet's labels/annotations format: Go %q values, every escape, and errors that name the
// file and line without echoing the value.

#include "agent/system/error.hh"
#include "providers/kubernetes/kubelet-format.hh"
#include "providers/kubernetes/tests/kubelet-volume-helpers.hh"

#include <gtest/gtest.h>

using namespace imprint;
using Map = std::map<std::string, std::string>;

namespace {

std::string errorOf(std::string_view text, const std::string & origin = "/etc/podinfo/annotations")
{
    try {
        parseKubeletMap(text, origin);
    } catch (const Error & e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST(KubeletFormat, KubeletOutputAnyOrderNoFinalNewline)
{
    // As kubelet writes it: no newline after the last line. Older kubelets did not sort.
    auto m = parseKubeletMap("zone=\"b\"\napp.kubernetes.io/name=\"web\"\napp=\"nginx\"", "labels");
    EXPECT_EQ(m, (Map{{"app", "nginx"}, {"app.kubernetes.io/name", "web"}, {"zone", "b"}}));
    EXPECT_EQ(parseKubeletMap("", "labels"), Map{});
    EXPECT_EQ(parseKubeletMap("a=\"1\"\n", "labels"), (Map{{"a", "1"}}));  // a hand-written final newline
    EXPECT_EQ(parseKubeletMap("a=\"\"", "labels"), (Map{{"a", ""}}));
    // '=' and text that looks like a line inside a value.
    EXPECT_EQ(parseKubeletMap("a=\"b=\\\"c\\\"\\nd=\\\"e\\\"\"", "x"), (Map{{"a", "b=\"c\"\nd=\"e\""}}));
}

TEST(KubeletFormat, EveryGoEscape)
{
    struct Row { const char * quoted; std::string expect; };
    const Row rows[] = {
        {R"("\a\b\f\n\r\t\v")", "\a\b\f\n\r\t\v"},
        {R"("\\ \"")", "\\ \""},
        {R"("\x41\x7e\x00\xff")", std::string("A~\0\xff", 4)},
        {R"("\101\000\377\177")", std::string("A\0\xff\x7f", 4)},
        {R"("\u00e9\u65e5\uFFFD")", "\u00e9\u65e5\uFFFD"},
        {R"("\U0001F600\U0010FFFF\U00000041")", "\U0001F600\U0010FFFF" "A"},
        {R"("\xc3\xa9")", "\u00e9"},                        // bytes that happen to form UTF-8
        {"\"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82\"", "caf\u00e9 \u65e5\u672c \U0001F642"},  // raw UTF-8
        {R"("$HOME ${x} '")", "$HOME ${x} '"},
    };
    for (const auto & r : rows)
        EXPECT_EQ(unquoteGoString(r.quoted), r.expect) << r.quoted;
}

TEST(KubeletFormat, InvalidEscapesAndCodePoints)
{
    const char * bad[] = {
        R"("\'")",            // Go: only in rune literals
        R"("\q")", R"("\x4")", R"("\xg0")", R"("\400")", R"("\08")", R"("\7")",
        R"("\u12")", R"("\u12x4")", R"("\uD800")", R"("\uDFFF")", R"("\U0000D83D")",
        R"("\U00110000")", R"("\UFFFFFFFF")", R"("\")", R"("abc\")",
        "\"a\tb\"",           // raw control character: %q escapes it
        "\"a\x7f\"",
        "\"\xff\"",           // raw invalid UTF-8
        "\"\xc3\"", "\"\xed\xa0\x80\"",  // truncated sequence, encoded surrogate
        R"("abc)", R"(abc")", R"("a"b")", R"("a" )", R"('a')", "", "\"",
    };
    for (const char * q : bad)
        EXPECT_THROW(unquoteGoString(q), Error) << q;
}

TEST(KubeletFormat, ErrorsNameFileAndLineButNotTheValue)
{
    EXPECT_EQ(errorOf("a=\"1\"\nb=\"s3cr3t\\q\""),
              "/etc/podinfo/annotations:2: value of key 'b' at column 10: unknown escape sequence");
    EXPECT_EQ(errorOf("a=\"1\"\n\nb=\"2\""), "/etc/podinfo/annotations:2: empty line (kubelet writes one key=\"value\" per line)");
    EXPECT_EQ(errorOf("a=\"1\"\na=\"2\""), "/etc/podinfo/annotations:2: key 'a' appears twice");
    EXPECT_EQ(errorOf("a \"1\""), "/etc/podinfo/annotations:1: expected key=\"value\", found no '='");
    EXPECT_NE(errorOf("a=\"1\"\nb=\"s3cr3t").find(":2: value of key 'b'"), std::string::npos);
    EXPECT_NE(errorOf("a=s3cr3t").find(":1: value of key 'a'"), std::string::npos);
    for (const char * line : {"=\"x\"", " a=\"x\"", "a b=\"x\"", "Example.com/a=\"x\"", "/a=\"x\"", "a/=\"x\"",
                              "a/b/c=\"x\"", "-a=\"x\"", "a-=\"x\"", "example..com/a=\"x\"", "a=\"1\"\r"}) {
        auto e = errorOf(line);
        EXPECT_NE(e.find("/etc/podinfo/annotations:1: "), std::string::npos) << line << " -> " << e;
    }
    for (const char * secret : {"a=\"s3cr3t\\'\"", "a=\"s3cr3t\\uD800\"", "a=\"s3cr3t\"x", "a=\"s3cr3t\x01\""})
        EXPECT_EQ(errorOf(secret).find("s3cr3t"), std::string::npos) << errorOf(secret);
}

TEST(KubeletFormat, QualifiedNames)
{
    for (const char * k : {"app", "app.kubernetes.io/name", "example.com/a.b_c-d", "a", "A_b.C",
                           "imprint.nixos.org/hostname", "k8s.v1.cni.cncf.io/networks", "x/Y"})
        EXPECT_TRUE(isKubernetesQualifiedName(k)) << k;
    std::string name63(63, 'a'), name64(64, 'a'), prefix253, prefix254;
    for (int i = 0; i < 4; ++i)
        prefix253 += std::string(i < 3 ? 63 : 61, 'p') + (i < 3 ? "." : "");
    prefix254 = "q" + prefix253;
    EXPECT_EQ(prefix253.size(), 253u);
    EXPECT_TRUE(isKubernetesQualifiedName(name63));
    EXPECT_FALSE(isKubernetesQualifiedName(name64));
    EXPECT_TRUE(isKubernetesQualifiedName(prefix253 + "/a"));
    EXPECT_FALSE(isKubernetesQualifiedName(prefix254 + "/a"));
    for (const char * k : {"", "a b", "a=b", "a\"b", "_a", "a_", "UPPER.com/a", "-x.com/a", "x-.com/a", "a/b/c", "é"})
        EXPECT_FALSE(isKubernetesQualifiedName(k)) << k;
}

TEST(KubeletFormat, RoundTripOfAwkwardValuesAndBigAnnotations)
{
    Map m{
        {"quotes", "say \"hi\" and 'bye'"},
        {"newlines", "line1\nline2\r\n\n"},
        {"tabs", "a\tb\t\tc"},
        {"unicode", "Gr\u00fc\u00dfe \u65e5\u672c\u8a9e \U0001F680"},
        {"controls", std::string("\x01\x1b[0m\x7f", 6)},
        {"bytes", "\xff\xfe"},
        {"example.com/with/slash-not-allowed-here", "x"},
    };
    m.erase("example.com/with/slash-not-allowed-here");
    m["example.com/path.like_key-1"] = "/var/lib/x";
    std::string big;
    for (std::size_t i = 0; big.size() < 256 * 1024; ++i)
        big += "chunk " + std::to_string(i) + " \"q\" \\ \t\n\u00e9 ";
    big.resize(256 * 1024);
    while (!big.empty() && (static_cast<unsigned char>(big.back()) & 0xC0) == 0x80)
        big.pop_back();  // do not cut a character in half
    if (!big.empty() && static_cast<unsigned char>(big.back()) >= 0xC0)
        big.pop_back();
    m["kubernetes.io/big"] = big;
    auto text = test::formatKubeletMap(m);
    EXPECT_EQ(text.back(), '"');
    EXPECT_EQ(parseKubeletMap(text, "annotations"), m);
}
