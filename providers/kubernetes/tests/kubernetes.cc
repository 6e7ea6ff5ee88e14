// The Kubernetes source on volumes built the way kubelet builds them: one `..data` version per
// read even while kubelet swaps it, the hostname rule, the facts filter, detection.

#include "agent/system/error.hh"
#include "agent/normalize/instance.hh"
#include "providers/kubernetes/kubernetes.hh"
#include "providers/kubernetes/tests/kubelet-volume-helpers.hh"

#include <gtest/gtest.h>

#include <utility>

#include <atomic>
#include <fcntl.h>
#include <sys/stat.h>
#include <fstream>
#include <thread>
#include <unistd.h>

using namespace imprint;
using test::KubeletVolume;
using test::formatKubeletMap;
using Map = std::map<std::string, std::string>;
namespace fs = std::filesystem;

namespace {

struct TempDir
{
    fs::path path;
    TempDir()
    {
        std::string tmpl = (fs::temp_directory_path() / "imprint-k8s-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { std::error_code ec; fs::remove_all(path, ec); }
};

// A pod as a test describes it; files() is what kubelet writes for it.
struct Pod
{
    std::string name = "web-7d9f8c6b5-x2x4q";
    std::string ns = "shop";
    std::string uid = "3c7a5f0e-9d1b-4c2a-8e6f-0a1b2c3d4e5f";
    Map labels{{"app", "web"}, {"app.kubernetes.io/component", "frontend"}, {"pod-template-hash", "7d9f8c6b5"}};
    Map annotations{{"imprint.nixos.org/hostname", "web-1"}, {"example.com/note", "say \"hi\"\n\tbye \u00e9"}};
    Map extra{{"cpu_limit", "2"}};

    Map files() const
    {
        Map f = extra;
        f["name"] = name;
        f["namespace"] = ns;
        f["uid"] = uid;
        f["labels"] = formatKubeletMap(labels);
        f["annotations"] = formatKubeletMap(annotations);
        return f;
    }
};

Map versionedFiles(const std::string & tag)
{
    return {{"name", "pod-" + tag}, {"uid", "uid-" + tag}, {"labels", "version=\"" + tag + "\""},
            {"annotations", "version=\"" + tag + "\""}, {"limits/cpu", tag}};
}

void expectOneVersion(const PodInfo & info)
{
    ASSERT_TRUE(info.files.count("uid"));
    std::string tag = info.files.at("uid").substr(4);
    EXPECT_EQ(info.files, versionedFiles(tag)) << "a read mixed two versions";
}

Config configWithDir(const fs::path & dir)
{
    Config c;
    c.kubernetes.podinfoDir = dir.string();
    return c;
}

SourceData fetchFrom(const fs::path & dir, const Config & config = Config{},
                     std::map<std::string, std::string> env = {})
{
    auto provider = makeKubernetesProvider([env](const std::string & n) -> std::optional<std::string> {
        auto it = env.find(n);
        return it == env.end() ? std::nullopt : std::optional(it->second);
    });
    Host host("/");
    Config quick = config;
    quick.kubernetes.settle = std::chrono::milliseconds(0);  // settling has its own test
    FetchContext ctx{host, quick, dir.string()};
    return provider->fetch(ctx);
}

std::string fetchError(const fs::path & dir, const Config & config = Config{})
{
    try {
        fetchFrom(dir, config);
    } catch (const Error & e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST(KubernetesVolume, ReadsThroughOneResolvedDataLink)
{
    TempDir t;
    KubeletVolume vol(t.path / "podinfo");
    Pod pod;
    auto version = vol.publish(pod.files());
    auto info = readPodInfo(vol.dir());
    EXPECT_EQ(info.version, version);
    EXPECT_EQ(info.files, pod.files());
    EXPECT_TRUE(fs::is_symlink(vol.dir() / "labels"));  // the layout is kubelet's
}

TEST(KubernetesVolume, SwapWithRemovalMidReadStartsOverOnTheNewVersion)
{
    TempDir t;
    KubeletVolume vol(t.path / "podinfo");
    vol.publish(versionedFiles("a"));
    int swaps = 0;
    PodInfoHooks hooks;
    hooks.afterFile = [&](const std::string &) {
        if (swaps++ == 0)
            vol.publish(versionedFiles("b"));  // kubelet: new dir, rename ..data, remove the old dir
    };
    auto info = readPodInfo(vol.dir(), hooks);
    expectOneVersion(info);
    EXPECT_EQ(info.files.at("uid"), "uid-b");
}

// A version that stopped being current during the read may be under removal (kubelet empties it
// first, so the read can come back short without an error): the read starts over from the new one.
TEST(KubernetesVolume, SwapWithoutRemovalMidReadEndsOnTheNewVersion)
{
    TempDir t;
    KubeletVolume vol(t.path / "podinfo");
    vol.publish(versionedFiles("a"));
    PodInfoHooks hooks;
    bool swapped = false;
    hooks.afterFile = [&](const std::string &) {
        if (!std::exchange(swapped, true))
            vol.publish(versionedFiles("b"), /*removeOld=*/false);
    };
    auto info = readPodInfo(vol.dir(), hooks);
    expectOneVersion(info);
    EXPECT_EQ(info.files.at("uid"), "uid-b");
}

TEST(KubernetesVolume, EndlessChurnIsAnError)
{
    TempDir t;
    KubeletVolume vol(t.path / "podinfo");
    vol.publish(versionedFiles("a"));
    int n = 0;
    PodInfoHooks hooks;
    hooks.afterFile = [&](const std::string &) { vol.publish(versionedFiles(std::to_string(n++))); };
    try {
        readPodInfo(vol.dir(), hooks);
        FAIL() << "expected an error";
    } catch (const Error & e) {
        EXPECT_NE(std::string(e.what()).find("changed 5 times while it was being read"), std::string::npos) << e.what();
    }
}

TEST(KubernetesVolume, ConcurrentKubeletNeverMixesVersions)
{
    TempDir t;
    KubeletVolume vol(t.path / "podinfo");
    vol.publish(versionedFiles("0"));
    std::atomic<bool> stop{false};
    std::thread kubelet([&] {
        for (int i = 1; !stop; ++i)
            vol.publish(versionedFiles(std::to_string(i)));
    });
    int reads = 0, churnErrors = 0;
    for (; reads < 300; ++reads) {
        try {
            expectOneVersion(readPodInfo(vol.dir()));
        } catch (const Error & e) {
            // Legitimate only when kubelet swapped five times during one read.
            EXPECT_NE(std::string(e.what()).find("while it was being read"), std::string::npos) << e.what();
            ++churnErrors;
        }
    }
    stop = true;
    kubelet.join();
    EXPECT_LT(churnErrors, reads);
}

TEST(KubernetesVolume, DataLinkMustStayInsideTheVolume)
{
    TempDir t;
    fs::create_directories(t.path / "podinfo");
    fs::create_directories(t.path / "elsewhere");
    fs::create_symlink("../elsewhere", t.path / "podinfo" / "..data");
    EXPECT_THROW(readPodInfo(t.path / "podinfo"), Error);
    fs::remove(t.path / "podinfo" / "..data");
    fs::create_symlink("..gone", t.path / "podinfo" / "..data");
    try {
        readPodInfo(t.path / "podinfo");
        FAIL();
    } catch (const Error & e) {
        EXPECT_NE(std::string(e.what()).find("missing or incomplete"), std::string::npos) << e.what();
    }
}

TEST(KubernetesVolume, PlainDirectoryIsReadAsItIs)
{
    TempDir t;
    fs::create_directories(t.path / "p");
    std::ofstream(t.path / "p" / "uid") << "u-1";
    auto info = readPodInfo(t.path / "p");
    EXPECT_FALSE(info.version);
    EXPECT_EQ(info.files, (Map{{"uid", "u-1"}}));
}

TEST(KubernetesHostname, PodNameRule)
{
    EXPECT_EQ(podNameToHostLabel("web-0"), "web-0");
    EXPECT_EQ(podNameToHostLabel("web.shop.example"), "web-shop-example");
    EXPECT_EQ(podNameToHostLabel("Web_Pod"), "web-pod");
    EXPECT_EQ(podNameToHostLabel("--x--"), "x");
    EXPECT_EQ(podNameToHostLabel(".-."), std::nullopt);
    EXPECT_EQ(podNameToHostLabel(""), std::nullopt);
    std::string exact63(63, 'a');
    EXPECT_EQ(podNameToHostLabel(exact63), exact63);
    // Long Deployment pod names differ only in their tail: the hash keeps them apart.
    std::string base = "a-very-long-deployment-name-for-the-checkout-service-frontend-7d9f8c6b5-";
    auto a = podNameToHostLabel(base + "x2x4q"), b = podNameToHostLabel(base + "k8s7w");
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);
    EXPECT_EQ(a->size(), 63u);
    EXPECT_EQ(a->substr(0, 54), base.substr(0, 54));
    EXPECT_EQ(podNameToHostLabel(base + "x2x4q"), a);  // deterministic
    // The cut lands on a '-': it is dropped, never doubled.
    std::string dashAt54 = std::string(53, 'b') + "-" + std::string(20, 'c');
    auto c = podNameToHostLabel(dashAt54);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->substr(0, 54), std::string(53, 'b') + "-");
    EXPECT_EQ(c->size(), 62u);
    for (const auto & name : {base + "x2x4q", dashAt54, std::string(300, 'z'), std::string("a.b.c"), std::string("0-0")})
        EXPECT_TRUE(isValidHostLabel(*podNameToHostLabel(name))) << name;
}

TEST(KubernetesFacts, DefaultDenyListAndAllowList)
{
    KubernetesConfig kc;
    // An allow-list: by default no annotation becomes a fact, however harmless it looks.
    for (const char * k : {"example.com/note", "prometheus.io/scrape", "imprint.nixos.org/hostname", "app"})
        EXPECT_FALSE(annotationIsFact(kc, k)) << k;
    kc.factsAllow = {"*"};
    for (const char * k : {"example.com/note", "prometheus.io/scrape", "imprint.nixos.org/hostname", "app"})
        EXPECT_TRUE(annotationIsFact(kc, k)) << k;
    for (const char * k : {"kubectl.kubernetes.io/last-applied-configuration", "vault.hashicorp.com/agent-inject-token",
                           "example.com/DB_PASSWORD", "x/Secret-ref", "ci/api-key", "aws/credentials", "a/token"}) {
        EXPECT_FALSE(annotationIsFact(kc, k)) << k;
        EXPECT_TRUE(factKeyDenied(kc, k)) << k;
    }
    kc.factsAllow = {"example.com/*", "app"};
    EXPECT_TRUE(annotationIsFact(kc, "example.com/note"));
    EXPECT_TRUE(annotationIsFact(kc, "app"));
    EXPECT_FALSE(annotationIsFact(kc, "prometheus.io/scrape"));
    EXPECT_FALSE(annotationIsFact(kc, "example.com/token"));  // the deny list still applies
    kc.factsDeny.clear();
    EXPECT_TRUE(annotationIsFact(kc, "example.com/token"));
}

TEST(KubernetesSource, FetchGivesIdentityAndFacts)
{
    TempDir t;
    KubeletVolume vol(t.path / "podinfo");
    Pod pod;
    pod.annotations["kubectl.kubernetes.io/last-applied-configuration"] = "{\"spec\":{}}";
    pod.annotations["example.com/db-password"] = "hunter2";
    vol.publish(pod.files());
    auto d = fetchFrom(vol.dir(), Config{}, {{"NODE_NAME", "node-3"}, {"POD_IP", "10.1.2.3"}, {"SERVICE_ACCOUNT", "web"}});
    EXPECT_EQ(d.source, "kubernetes");
    EXPECT_EQ(d.instanceId, pod.uid);
    EXPECT_EQ(d.localHostname, "web-1");
    EXPECT_NE(d.localHostnameOrigin.find("imprint.nixos.org/hostname"), std::string::npos);
    EXPECT_EQ(d.facts["labels"], pod.labels);
    // Annotations are facts only when named (the overlay lands in the world-readable store).
    EXPECT_EQ(d.facts.count("annotations"), 0u);
    EXPECT_EQ(d.facts["platform"], (Map{{"pod_name", pod.name}, {"namespace", "shop"}, {"pod_uid", pod.uid},
                                        {"node_name", "node-3"}, {"pod_ip", "10.1.2.3"}, {"service_account", "web"}}));
    EXPECT_EQ(d.facts["podinfo"], (Map{{"cpu_limit", "2"}}));

    Config allowAll;
    allowAll.kubernetes.factsAllow = {"*"};
    auto all = fetchFrom(vol.dir(), allowAll);
    EXPECT_EQ(all.facts["annotations"], (Map{{"imprint.nixos.org/hostname", "web-1"},
                                             {"example.com/note", "say \"hi\"\n\tbye \u00e9"}}));
}

TEST(KubernetesSource, HostnameFallsBackToThePodNameAndTakesTheDomainAnnotation)
{
    TempDir t;
    KubeletVolume vol(t.path / "podinfo");
    Pod pod;
    pod.name = "db.primary-0";
    pod.annotations = {{"imprint.nixos.org/domain", "shop.example.org"}};
    vol.publish(pod.files());
    auto d = fetchFrom(vol.dir());
    EXPECT_EQ(d.localHostname, "db-primary-0.shop.example.org");
    EXPECT_NE(d.localHostnameOrigin.find("pod name"), std::string::npos);
    // An FQDN in the hostname annotation wins over the domain annotation.
    pod.annotations["imprint.nixos.org/hostname"] = "db.other.example";
    vol.publish(pod.files());
    EXPECT_EQ(fetchFrom(vol.dir()).localHostname, "db.other.example");
    // The annotation names are configurable; none configured means the pod name.
    Config c;
    c.kubernetes.hostnameAnnotation.reset();
    c.kubernetes.domainAnnotation.reset();
    EXPECT_EQ(fetchFrom(vol.dir(), c).localHostname, "db-primary-0");
}

TEST(KubernetesSource, ActionableErrors)
{
    TempDir t;
    KubeletVolume vol(t.path / "podinfo");
    Pod pod;
    auto files = pod.files();
    files.erase("uid");
    vol.publish(files);
    EXPECT_NE(fetchError(vol.dir()).find("fieldRef metadata.uid"), std::string::npos) << fetchError(vol.dir());
    files = pod.files();
    files.erase("name");
    files["annotations"] = "";
    vol.publish(files);
    EXPECT_NE(fetchError(vol.dir()).find("no host name for this pod"), std::string::npos) << fetchError(vol.dir());
    files = pod.files();
    files["labels"] = "app=\"web\"\nbad line";
    vol.publish(files);
    auto e = fetchError(vol.dir());
    EXPECT_NE(e.find("/labels:2: "), std::string::npos) << e;
    EXPECT_NE(fetchError(t.path / "nope").find("no downward-API volume at"), std::string::npos);
}

TEST(KubernetesSource, ValuesThatNoNixStringCanHoldAreSkipped)
{
    TempDir t;
    KubeletVolume vol(t.path / "podinfo");
    Pod pod;
    vol.publish(pod.files());
    auto files = pod.files();
    files["annotations"] = "a/nul=\"x\\x00y\"\na/bytes=\"\\xff\"\na/ok=\"\\u00e9\\x1b\"";
    vol.publish(files);
    Config allowAll;
    allowAll.kubernetes.factsAllow = {"a/*"};
    auto d = fetchFrom(vol.dir(), allowAll);
    EXPECT_EQ(d.facts["annotations"], (Map{{"a/ok", "\u00e9\x1b"}}));
}

TEST(KubernetesDetect, LocalSignalsOnly)
{
    TempDir t;
    auto provider = makeKubernetesProvider([](const std::string & n) -> std::optional<std::string> {
        return n == "KUBERNETES_SERVICE_HOST" ? std::optional<std::string>("10.96.0.1") : std::nullopt;
    });
    auto quiet = makeKubernetesProvider([](const std::string &) -> std::optional<std::string> { return std::nullopt; });
    Config c;  // /etc/podinfo, under the root prefix
    Host fake(t.path);
    EXPECT_EQ(quiet->detect(fake, c), std::nullopt);
    // The environment belongs to the real root: a fake machine does not inherit it.
    EXPECT_EQ(provider->detect(fake, c), std::nullopt);
    KubeletVolume vol(t.path / "etc/podinfo");
    vol.publish(Pod{}.files());
    EXPECT_EQ(quiet->detect(fake, c), "downward-API volume at /etc/podinfo (..data)");
    // A pod without the volume is still claimed on the real root (never fall through to the
    // node's metadata server); its fetch then says which volume to add.
    Config missing = configWithDir(t.path / "absent");
    EXPECT_EQ(provider->detect(Host("/"), missing),
              "KUBERNETES_SERVICE_HOST is set (a pod); no downward-API volume at " + (t.path / "absent").string());
    EXPECT_EQ(quiet->detect(Host("/"), missing), std::nullopt);
    fs::create_directories(t.path / "plain");
    std::ofstream(t.path / "plain" / "uid") << "u";
    EXPECT_EQ(quiet->detect(Host("/"), configWithDir(t.path / "plain")),
              "downward-API files at " + (t.path / "plain").string() + " (uid)");
}

namespace {

// Time stands still unless imprint sleeps; each sleep may run a hook (kubelet acting meanwhile).
class FakeClock : public Clock
{
public:
    std::chrono::steady_clock::time_point now() const override { return std::chrono::steady_clock::time_point{} + offset; }
    std::chrono::system_clock::time_point wallNow() const override { return wallBase + offset; }
    void sleepFor(std::chrono::milliseconds d) override
    {
        sleeps.push_back(d.count());
        offset += d;
        if (onSleep)
            onSleep();
    }
    std::chrono::system_clock::time_point wallBase = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 50);
    std::chrono::milliseconds offset{0};
    std::vector<long long> sleeps;
    std::function<void()> onSleep;
};

// Sets the mtime of `..data` itself (not its target), as kubelet's fresh symlink would have.
void touchDataLink(const fs::path & dir, std::chrono::system_clock::time_point t)
{
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = ns / 1'000'000'000;
    ts[0].tv_nsec = ts[1].tv_nsec = ns % 1'000'000'000;
    ASSERT_EQ(::utimensat(AT_FDCWD, (dir / "..data").c_str(), ts, AT_SYMLINK_NOFOLLOW), 0);
}

} // namespace

TEST(KubernetesSettle, ABurstOfUpdatesIsReadOnceAfterTheLast)
{
    using std::chrono::milliseconds;
    TempDir t;
    KubeletVolume vol(t.path / "podinfo");
    FakeClock clock;
    vol.publish(versionedFiles("a"));
    // Old enough: no wait at all (the usual boot case).
    touchDataLink(vol.dir(), clock.wallNow() - milliseconds(5000));
    waitForSettledVolume(vol.dir(), milliseconds(1000), clock);
    EXPECT_TRUE(clock.sleeps.empty());
    // Changed 200 ms ago; kubelet updates again during the first wait, then stays quiet.
    touchDataLink(vol.dir(), clock.wallNow() - milliseconds(200));
    int updates = 0;
    clock.onSleep = [&] {
        if (updates++ == 0) {
            vol.publish(versionedFiles("b"));
            touchDataLink(vol.dir(), clock.wallNow());
        }
    };
    waitForSettledVolume(vol.dir(), milliseconds(1000), clock);
    EXPECT_EQ(clock.sleeps, (std::vector<long long>{800, 1000}));
    EXPECT_EQ(readPodInfo(vol.dir()).files.at("uid"), "uid-b");
    // A volume that never settles is read anyway after 10 settle periods.
    clock.sleeps.clear();
    clock.onSleep = [&] { touchDataLink(vol.dir(), clock.wallNow()); };
    touchDataLink(vol.dir(), clock.wallNow());
    waitForSettledVolume(vol.dir(), milliseconds(100), clock);
    long long total = 0;
    for (auto s : clock.sleeps)
        total += s;
    EXPECT_EQ(total, 1000);
    // No kubelet layout, or settling turned off: no wait.
    clock.sleeps.clear();
    waitForSettledVolume(t.path / "absent", milliseconds(1000), clock);
    touchDataLink(vol.dir(), clock.wallNow());
    waitForSettledVolume(vol.dir(), milliseconds(0), clock);
    EXPECT_TRUE(clock.sleeps.empty());
}
