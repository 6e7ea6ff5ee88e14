// GCE's `user:key` lines: which keys survive (expiry) and which account each goes to.

#include "providers/gce/gce.hh"

#include <gtest/gtest.h>

using namespace imprint;

namespace {

const std::string kKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJpSZ0pN7xF0h2m2bB3c4D5e6F7g8H9i0J1k2L3m4N5o";
const std::string kOrigin = "http://169.254.169.254/computeMetadata/v1/instance/attributes/ssh-keys";

SourceData assign(const std::string & text, const std::string & sshUser = "root")
{
    SourceData d;
    assignGceKeys(d, parseGceSshKeys(text, "2026-01-01T00:00:00"), kOrigin, sshUser);
    return d;
}

} // namespace

TEST(GceSshKeys, ParsesUserAndKeyAndSkipsExpiredAndMalformedLines)
{
    std::string text = "alice:" + kKey + " alice@laptop\n"
                       "\n"
                       "no-colon-here\n"
                       ":" + kKey + " nobody\n"
                       "empty:\n"
                       "bob:" + kKey + " google-ssh {\"userName\":\"bob@example.com\",\"expireOn\":\"2001-01-01T00:00:00+0000\"}\n"
                       "dave:" + kKey + " google-ssh {\"userName\":\"dave@example.com\",\"expireOn\":\"2099-01-01T00:00:00+0000\"}\n";
    auto keys = parseGceSshKeys(text, "2026-01-01T00:00:00");
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_EQ(keys[0].user, "alice");
    EXPECT_EQ(keys[0].key, kKey + " alice@laptop");
    EXPECT_EQ(keys[1].user, "dave");  // not yet expired
}

TEST(GceSshKeys, EachKeyGoesToTheAccountNamedBeforeTheColon)
{
    SourceData d = assign("alice:" + kKey + " a\ncarol:" + kKey + " c1\ncarol:" + kKey + " c2\n");
    EXPECT_TRUE(d.publicKeys.empty());
    ASSERT_EQ(d.userPublicKeys.size(), 2u);
    EXPECT_EQ(d.userPublicKeys["alice"], std::vector<std::string>{kKey + " a"});
    EXPECT_EQ(d.userPublicKeys["carol"], (std::vector<std::string>{kKey + " c1", kKey + " c2"}));
    EXPECT_TRUE(d.warnings.empty());
}

TEST(GceSshKeys, TheConfiguredSshUserAndRootKeepTheDefaultKeys)
{
    SourceData d = assign("admin:" + kKey + " a\nroot:" + kKey + " r\nalice:" + kKey + " x\n", "admin");
    EXPECT_EQ(d.publicKeys, (std::vector<std::string>{kKey + " a", kKey + " r"}));
    ASSERT_EQ(d.userPublicKeys.size(), 1u);
    EXPECT_TRUE(d.userPublicKeys.count("alice"));
    EXPECT_FALSE(d.userPublicKeys.count("admin"));
    EXPECT_FALSE(d.userPublicKeys.count("root"));
}

TEST(GceSshKeys, NamesNixOsRejectsAreSkippedWithAWarningThatHoldsNoKey)
{
    const std::string tooLong(32, 'a');  // users-groups.nix: shorter than 32 characters
    const std::string longest(31, 'a');
    SourceData d = assign("Alice:" + kKey + " secret-comment-1\n"
                          "first.last:" + kKey + " secret-comment-2\n"
                          "1st:" + kKey + " secret-comment-3\n"
                          + tooLong + ":" + kKey + " secret-comment-4\n"
                          "we\x01ird:" + kKey + " secret-comment-5\n"
                          + longest + ":" + kKey + " kept\n");
    ASSERT_EQ(d.userPublicKeys.size(), 1u);
    EXPECT_TRUE(d.userPublicKeys.count(longest));
    ASSERT_EQ(d.warnings.size(), 5u);
    for (const auto & w : d.warnings) {
        EXPECT_NE(w.find(kOrigin), std::string::npos) << w;
        EXPECT_EQ(w.find("AAAAC3Nza"), std::string::npos) << w;
        EXPECT_EQ(w.find("secret-comment"), std::string::npos) << w;
        EXPECT_EQ(w.find('\x01'), std::string::npos) << w;
    }
    EXPECT_NE(d.warnings[0].find("'Alice'"), std::string::npos) << d.warnings[0];
    EXPECT_NE(d.warnings[1].find("'first.last'"), std::string::npos) << d.warnings[1];
    EXPECT_NE(d.warnings[4].find("unprintable"), std::string::npos) << d.warnings[4];
}
