#include "agent/normalize/cloud-config.hh"
#include "agent/system/error.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>

using namespace imprint;
using namespace imprint::test;

TEST(CloudConfig, PlainCloudConfig)
{
    auto cc = decodeUserData("#cloud-config\nhostname: a\n", "ud");
    EXPECT_EQ(cc.config["hostname"], "a");
    EXPECT_TRUE(cc.ignoredParts.empty());
}

TEST(CloudConfig, GzipIsDecompressed)
{
    auto cc = decodeUserData(readFile(fixture("nocloud/gzip/user-data")), "ud");
    EXPECT_EQ(cc.config["hostname"], "gz-host");
    EXPECT_EQ(cc.config["fqdn"], "gz-host.corp.example.com");
}

TEST(CloudConfig, MultipartMergesCloudConfigPartsInOrderAndSkipsScripts)
{
    auto cc = decodeUserData(readFile(fixture("nocloud/multipart/user-data")), "ud");
    EXPECT_EQ(cc.config["hostname"], "second");   // the later part wins
    EXPECT_EQ(cc.config["timezone"], "Asia/Tokyo");
    EXPECT_EQ(cc.config["ssh_authorized_keys"].size(), 1u);  // kept from the first part
    ASSERT_EQ(cc.ignoredParts.size(), 1u);
    EXPECT_NE(cc.ignoredParts[0].find("text/x-shellscript"), std::string::npos) << cc.ignoredParts[0];
}

TEST(CloudConfig, ScriptsAndIncludesAreNeverRun)
{
    auto cc = decodeUserData("#!/bin/sh\nrm -rf /\n", "ud");
    EXPECT_TRUE(cc.config.empty());
    ASSERT_EQ(cc.ignoredParts.size(), 1u);
    cc = decodeUserData("#include\nhttp://example.com/x\n", "ud");
    EXPECT_EQ(cc.ignoredParts.size(), 1u);
}

TEST(CloudConfig, EmptyUserDataIsEmpty)
{
    EXPECT_TRUE(decodeUserData("", "ud").config.empty());
    EXPECT_TRUE(decodeUserData("\n\n", "ud").config.empty());
}

TEST(CloudConfig, CorruptInputsAreErrorsNamingTheOrigin)
{
    std::string gz = readFile(fixture("nocloud/gzip/user-data"));
    try {
        decodeUserData(gz.substr(0, gz.size() / 2), "/seed/user-data");
        FAIL();
    } catch (const Error & e) {
        EXPECT_NE(std::string(e.what()).find("/seed/user-data"), std::string::npos);
    }
    EXPECT_THROW(decodeUserData("#cloud-config\n- a list\n", "ud"), Error);
    EXPECT_THROW(decodeUserData("Content-Type: multipart/mixed\n\nno boundary", "ud"), Error);
}

TEST(CloudConfig, GzipBombIsCapped)
{
    // 64 MiB of zeros compresses to ~64 KiB; the cap is 16 MiB.
    std::string zeros(64 * 1024 * 1024, '\0');
    TempDir dir;
    writeFile(dir / "zeros", zeros);
    auto r = runProcess({"gzip", "-kn", (dir / "zeros").string()});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_THROW(decodeUserData(readFile(dir / "zeros.gz"), "ud"), Error);
}

namespace {

std::string gzipLayers(std::string data, int layers)
{
    for (int i = 0; i < layers; ++i)
        data = gzip(data, 1);
    return data;
}

std::string multipart(const std::vector<std::string> & parts, const std::string & extraHeaders = "")
{
    std::string out = "Content-Type: multipart/mixed; boundary=\"BB\"\nMIME-Version: 1.0\n\n";
    for (const auto & p : parts)
        out += "--BB\n" + extraHeaders + p + "\n";
    return out + "--BB--\n";
}

std::string decodeError(std::string_view ud)
{
    try {
        decodeUserData(ud, "/seed/user-data");
    } catch (const Error & e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(CloudConfig, OneGzipLayerIsOpenedAsCloudInitDoes)
{
    std::string config = "#cloud-config\nhostname: layered\n";
    EXPECT_EQ(decodeUserData(gzipLayers(config, 1), "ud").config["hostname"], "layered");
    // gzip inside gzip is what cloud-init leaves compressed: unknown content, not read.
    auto two = decodeUserData(gzipLayers(config, 2), "ud");
    EXPECT_TRUE(two.config.empty());
    ASSERT_EQ(two.ignoredParts.size(), 1u);
    EXPECT_NE(two.ignoredParts[0].find("gzip inside gzip"), std::string::npos) << two.ignoredParts[0];
    // The same inside a MIME part: the part's own layer is opened, the next is not.
    auto part = decodeUserData(multipart({"Content-Type: application/gzip\n\n" + gzipLayers(config, 2)}), "ud");
    EXPECT_TRUE(part.config.empty());
    EXPECT_EQ(part.ignoredParts.size(), 1u);
    auto good = decodeUserData(multipart({"Content-Type: application/gzip\n\n" + gzipLayers(config, 1)}), "ud");
    EXPECT_EQ(good.config["hostname"], "layered");
    EXPECT_EQ(good.deepestNesting, 2);
}

TEST(CloudConfig, ThousandsOfGzipLayersCostOneLayer)
{
    // 2,000 layers once cost 1.1 s and 79 MiB; now the second layer is where decoding stops.
    auto cc = decodeUserData(gzipLayers("#cloud-config\nhostname: deep\n", 2000), "ud");
    EXPECT_TRUE(cc.config.empty());
    EXPECT_EQ(cc.deepestNesting, 1);
    EXPECT_LT(cc.decodedBytes, 256u * 1024);
}

TEST(CloudConfig, DecodedBytesShareOneBudgetAcrossTheTree)
{
    // Three parts of 6 MiB each: every one under the cap alone, 18 MiB together.
    std::string six = "#cloud-config\n# " + std::string(6 * 1024 * 1024, 'x') + "\n";
    std::string gz = gzip(six);
    std::string ud = multipart({"Content-Type: application/gzip\n\n" + gz, "Content-Type: application/gzip\n\n" + gz,
                                "Content-Type: application/gzip\n\n" + gz});
    auto e = decodeError(ud);
    EXPECT_NE(e.find("/seed/user-data part 3"), std::string::npos) << e;
    EXPECT_NE(e.find("decodes to more than 16777216 bytes"), std::string::npos) << e;
    // Two of them fit.
    auto cc = decodeUserData(multipart({"Content-Type: application/gzip\n\n" + gz, "Content-Type: application/gzip\n\n" + gz}), "ud");
    EXPECT_EQ(cc.decodedBytes, 2 * six.size());
    EXPECT_LE(cc.decodedBytes, kMaxDecodedUserData);
}

TEST(CloudConfig, NestingCountsMultipartLevelsAndDecompressions)
{
    std::string inner = "Content-Type: text/cloud-config\n\n#cloud-config\nhostname: nested\n";
    std::string doc = inner;
    for (int level = 0; level < kMaxUserDataNesting; ++level)
        doc = "Content-Type: multipart/mixed; boundary=\"L" + std::to_string(level) + "\"\n\n--L" + std::to_string(level) + "\n" +
              doc + "\n--L" + std::to_string(level) + "--\n";
    EXPECT_EQ(decodeUserData(doc, "ud").config["hostname"], "nested");
    auto deeper = "Content-Type: multipart/mixed; boundary=\"X\"\n\n--X\n" + doc + "\n--X--\n";
    auto e = decodeError(deeper);
    EXPECT_NE(e.find("nested deeper than 8 levels"), std::string::npos) << e;
    // A gzip layer is a level too.
    e = decodeError(gzip(doc));
    EXPECT_NE(e.find("nested deeper than 8 levels"), std::string::npos) << e;
}

TEST(CloudConfig, PartsAreBounded)
{
    std::vector<std::string> parts(kMaxMimeParts + 1, "Content-Type: text/plain\n\nhello");
    auto e = decodeError(multipart(parts));
    EXPECT_NE(e.find("more than 1000 MIME parts"), std::string::npos) << e;
    parts.resize(kMaxMimeParts);
    EXPECT_EQ(decodeUserData(multipart(parts), "ud").ignoredParts.size(), static_cast<std::size_t>(kMaxMimeParts));
}

TEST(CloudConfig, Base64PartsCountAgainstTheBudget)
{
    std::string ud = multipart({"Content-Type: text/cloud-config\nContent-Transfer-Encoding: base64\n\n"
                                "I2Nsb3VkLWNvbmZpZwpob3N0bmFtZTogYjY0Cg=="});
    auto cc = decodeUserData(ud, "ud");
    EXPECT_EQ(cc.config["hostname"], "b64");
    EXPECT_EQ(cc.decodedBytes, std::string("#cloud-config\nhostname: b64\n").size());
}
