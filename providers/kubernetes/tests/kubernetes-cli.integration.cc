// The Kubernetes source end to end through the real binary: a volume laid out the way kubelet
// writes it, `imprint fetch` gives the exact labels and annotations, and the rendered overlay,
// evaluated by the real nix-instantiate, exposes them as services.imprint.facts with the same
// strings.

#include "providers/kubernetes/tests/kubelet-volume-helpers.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace imprint::test;
using nlohmann::json;
using Map = std::map<std::string, std::string>;

namespace {

struct PodFixture
{
    TempDir dir;
    Map labels{
        {"app", "web"},
        {"app.kubernetes.io/component", "frontend"},
        {"app.kubernetes.io/part-of", "shop"},
        {"tier", "Front_End.v2"},
    };
    Map annotations;
    Map env{{"NODE_NAME", "node-3.cluster.local"}, {"POD_IP", "10.244.1.17"}, {"HOST_IP", "192.168.7.3"},
            {"SERVICE_ACCOUNT", "web"}};

    PodFixture()
    {
        std::string big;
        for (std::size_t i = 0; big.size() < 256 * 1024; ++i)
            big += "line " + std::to_string(i) + ": \"quoted\" \\ back\tslash ${not.nix} \u00e9\u65e5\U0001F680\n";
        big.resize(256 * 1024 - 7);  // ASCII at the cut: "line N" starts every 60-odd bytes
        while ((static_cast<unsigned char>(big.back()) & 0x80) != 0)
            big.pop_back();
        annotations = {
            {"imprint.nixos.org/hostname", "web-1"},
            {"imprint.nixos.org/domain", "shop.example.org"},
            {"example.com/quotes", "say \"hi\" and 'bye'"},
            {"example.com/multi-line", "first\nsecond\r\n\tindented\n"},
            {"example.com/unicode", "Gr\u00fc\u00dfe \u65e5\u672c\u8a9e \U0001F680 \u00a0nbsp"},
            {"example.com/escape-seq", std::string("\x1b[1mbold\x1b[0m \x01\x7f", 15)},
            {"example.com/nix-syntax", "${builtins.abort \"no\"} ''x'' \\${y}"},
            {"deploy.example.com/big", big},
            {"kubectl.kubernetes.io/last-applied-configuration", "{\"apiVersion\":\"v1\"}"},
            {"vault.hashicorp.com/agent-inject-token", "s.XXXXXXXX"},
        };
        KubeletVolume vol(dir / "podinfo");
        vol.publish({{"name", "web-7d9f8c6b5-x2x4q"},
                     {"namespace", "shop"},
                     {"uid", "3c7a5f0e-9d1b-4c2a-8e6f-0a1b2c3d4e5f"},
                     {"labels", formatKubeletMap(labels)},
                     {"annotations", formatKubeletMap(annotations)},
                     {"limits/cpu", "2"}});
        // A fresh volume would make imprint wait for it to settle; that has its own unit test.
        // Every annotation is allowed here, so the hostile ones reach the renderer (the default
        // allows none: KubernetesCli.AnnotationsAreFactsOnlyWhenNamed).
        writeFile(dir / "imprint.yaml", "kubernetes:\n  settle_ms: 0\n  facts_allow: ['*']\n");
        std::filesystem::create_directories(dir / "root");  // an empty machine
    }

    std::vector<std::string> args(const std::string & command) const
    {
        return {"--root", (dir / "root").string(), "--config", (dir / "imprint.yaml").string(),
                "--source", "kubernetes:" + (dir / "podinfo").string(), "--json", command};
    }

    Map expectedAnnotations() const
    {
        Map m = annotations;
        m.erase("kubectl.kubernetes.io/last-applied-configuration");  // default deny list
        m.erase("vault.hashicorp.com/agent-inject-token");
        return m;
    }
};

} // namespace

TEST(KubernetesCli, FetchGivesTheExactLabelsAndAnnotations)
{
    PodFixture pod;
    auto r = runImprint(pod.args("fetch"), pod.env);
    ASSERT_EQ(r.exitCode, 0) << r.err;
    auto j = json::parse(r.out);
    EXPECT_EQ(j["source"], "kubernetes");
    EXPECT_EQ(j["instance_id"], "3c7a5f0e-9d1b-4c2a-8e6f-0a1b2c3d4e5f");
    EXPECT_EQ(j["hostname"], "web-1");
    EXPECT_EQ(j["domain"], "shop.example.org");
    EXPECT_EQ(j["fqdn"], "web-1.shop.example.org");
    EXPECT_EQ(j["facts"]["labels"].get<Map>(), pod.labels);
    EXPECT_EQ(j["facts"]["annotations"].get<Map>(), pod.expectedAnnotations());
    EXPECT_EQ(j["facts"]["platform"].get<Map>(),
              (Map{{"pod_name", "web-7d9f8c6b5-x2x4q"}, {"namespace", "shop"}, {"pod_uid", "3c7a5f0e-9d1b-4c2a-8e6f-0a1b2c3d4e5f"},
                   {"node_name", "node-3.cluster.local"}, {"pod_ip", "10.244.1.17"}, {"host_ip", "192.168.7.3"},
                   {"service_account", "web"}}));
    EXPECT_EQ(j["facts"]["podinfo"].get<Map>(), (Map{{"limits/cpu", "2"}}));
    // Secrets never reach the output, nor the log.
    EXPECT_EQ(r.out.find("s.XXXXXXXX"), std::string::npos);
    EXPECT_EQ(r.err.find("s.XXXXXXXX"), std::string::npos);
}

TEST(KubernetesCli, AnnotationsAreFactsOnlyWhenNamed)
{
    PodFixture pod;
    writeFile(pod.dir / "imprint.yaml", "kubernetes:\n  settle_ms: 0\n");
    auto r = runImprint(pod.args("render"), pod.env);
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(r.out.find("annotations"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("s.XXXXXXXX"), std::string::npos);
    EXPECT_EQ(r.out.find("example.com/quotes"), std::string::npos);
    EXPECT_NE(r.out.find("app.kubernetes.io/component"), std::string::npos);  // labels always are
    EXPECT_NE(r.out.find("limits/cpu"), std::string::npos);                    // and the pod's own fields

    writeFile(pod.dir / "imprint.yaml", "kubernetes:\n  settle_ms: 0\n  facts_allow: ['example.com/quotes']\n");
    auto named = runImprint(pod.args("fetch"), pod.env);
    ASSERT_EQ(named.exitCode, 0) << named.err;
    EXPECT_EQ(json::parse(named.out)["facts"]["annotations"].get<Map>(),
              (Map{{"example.com/quotes", "say \"hi\" and 'bye'"}}));
}

TEST(KubernetesCli, RenderedOverlayEvaluatesToTheSameStrings)
{
    if (!haveNix())
        GTEST_FAIL() << "nix-instantiate is missing: scripts/install-deps.sh --tests installs Debian's nix-bin";
    PodFixture pod;
    auto fetched = runImprint(pod.args("fetch"), pod.env);
    ASSERT_EQ(fetched.exitCode, 0) << fetched.err;
    auto rendered = runImprint(pod.args("render"), pod.env);
    ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
    std::string error;
    auto out = nixEvalModule(rendered.out, &error);
    ASSERT_TRUE(out) << error;
    auto module = json::parse(*out);
    auto facts = module["services"]["imprint"]["facts"];
    EXPECT_EQ(facts, json::parse(fetched.out)["facts"]);
    EXPECT_EQ(facts["labels"].get<Map>(), pod.labels);
    EXPECT_EQ(facts["annotations"].get<Map>(), pod.expectedAnnotations());
    // What an image's module would write: a label with dots and a slash, looked up by name.
    EXPECT_EQ(facts["labels"]["app.kubernetes.io/component"], "frontend");
    EXPECT_EQ(module["networking"]["hostName"]["content"], "web-1");
}

// The direct path (what a pod without systemd runs): detection from the volume under --root,
// a rebuild per change of facts, none for a new `..data` version with the same content.
TEST(KubernetesCli, RunRebuildsOncePerChangeOfFacts)
{
    FakeMachine m;
    m.writeConfig("kubernetes:\n  settle_ms: 0\n");
    KubeletVolume vol(m.root() / "etc/podinfo");
    Map labels{{"app", "web"}};
    auto publish = [&] {
        vol.publish({{"name", "web-0"}, {"namespace", "shop"}, {"uid", "pod-uid-1"},
                     {"labels", formatKubeletMap(labels)}, {"annotations", ""}});
    };
    publish();
    std::vector<std::string> base{"--root", m.root().string(), "--json"};
    auto run = [&] {
        auto args = base;
        args.push_back("run");
        auto r = runImprint(args, m.env());
        EXPECT_EQ(r.exitCode, 0) << r.err;
        return r.exitCode == 0 ? json::parse(r.out)["result"].get<std::string>() : std::string("failed");
    };
    auto detect = runImprint({"--root", m.root().string(), "detect"});
    EXPECT_EQ(detect.out, "kubernetes: downward-API volume at /etc/podinfo (..data)\n") << detect.err;

    EXPECT_EQ(run(), "applied");
    EXPECT_EQ(m.stubCalls().size(), 1u);
    publish();  // kubelet rewrote the volume with the same content
    EXPECT_EQ(run(), "unchanged");
    EXPECT_EQ(m.stubCalls().size(), 1u);
    labels["tier"] = "frontend";
    publish();
    EXPECT_EQ(run(), "applied");
    EXPECT_EQ(m.stubCalls().size(), 2u);
    auto overlay = readFile(m.root() / "var/lib/imprint/host.nix");
    EXPECT_NE(overlay.find("tier = \"frontend\";"), std::string::npos) << overlay;
}
