// The HTTP policy against a real server on loopback that misbehaves on purpose. Bounds are
// asserted loosely (behaviour, not timings): each case must end well within the deadline plus
// one request timeout.

#include "agent/system/http.hh"
#include "tests/support/http-server-helpers.hh"
#include "tests/support/platform-server-helpers.hh"

#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

using namespace imprint;
using namespace imprint::test;
using namespace std::chrono;

namespace {

HttpConfig fastConfig()
{
    HttpConfig c;
    c.connectTimeout = milliseconds{500};
    c.requestTimeout = milliseconds{1000};
    c.deadline = milliseconds{3000};
    c.retries = 3;
    c.backoffInitial = milliseconds{50};
    c.backoffMax = milliseconds{200};
    c.maxBodyBytes = 1024;
    return c;
}

// Records sleeps; sleeps for real so that the deadline (measured on the same clock) holds.
class RecordingClock : public Clock
{
public:
    steady_clock::time_point now() const override { return steady_clock::now() + skew; }
    system_clock::time_point wallNow() const override { return wall ? *wall + skew : system_clock::now() + skew; }
    void sleepFor(milliseconds d) override { sleeps.push_back(d); skew += d; }  // virtual time: tests stay fast
    double jitter() override { return 1.0; }
    std::vector<milliseconds> sleeps;
    steady_clock::duration skew{0};
    std::optional<system_clock::time_point> wall;  // a fixed wall clock, for Retry-After dates
};

template<typename F>
milliseconds timed(F && f)
{
    auto t0 = steady_clock::now();
    f();
    return duration_cast<milliseconds>(steady_clock::now() - t0);
}

HttpError expectHttpError(HttpClient & http, const std::string & url)
{
    try {
        http.get(url);
    } catch (const HttpError & e) {
        return e;
    }
    ADD_FAILURE() << "no error for " << url;
    return HttpError("none", HttpFailure::Permanent);
}

} // namespace

TEST(HttpClient, GetsBodyAndTreats404AsAbsent)
{
    TestHttpServer server([](const TestRequest & r) {
        if (r.path == "/ok")
            return TestReply::text("hello");
        if (r.path == "/gone")
            return TestReply::code(410);
        if (r.path == "/empty")
            return TestReply::code(204);
        return TestReply::code(404);
    });
    auto http = makeHttpClient(fastConfig());
    EXPECT_EQ(http->get(server.url() + "/ok"), "hello");
    EXPECT_FALSE(http->get(server.url() + "/missing"));
    EXPECT_FALSE(http->get(server.url() + "/gone"));
    EXPECT_EQ(http->get(server.url() + "/empty"), "");
    EXPECT_EQ(server.count("/missing"), 1u);  // 404 is never retried
}

TEST(HttpClient, SendsMethodHeadersAndBody)
{
    TestHttpServer server([](const TestRequest & r) {
        if (r.method == "PUT" && r.header("x-test") == "1" && r.body.empty())
            return TestReply::text("put-ok");
        if (r.method == "POST" && r.body == "<xml/>")
            return TestReply::text("post-ok");
        return TestReply::code(400);
    });
    auto http = makeHttpClient(fastConfig());
    HttpRequest put{"PUT", server.url() + "/t", {{"X-Test", "1"}}, std::nullopt, std::nullopt};
    EXPECT_EQ(http->request(put)->body, "put-ok");
    HttpRequest post{"POST", server.url() + "/t", {{"Content-Type", "text/xml"}}, "<xml/>", std::nullopt};
    EXPECT_EQ(http->request(post)->body, "post-ok");
}

TEST(HttpClient, IgnoresProxyEnvironment)
{
    TestHttpServer server([](const TestRequest &) { return TestReply::text("direct"); });
    // A proxy that would answer differently if used.
    TestHttpServer proxy([](const TestRequest &) { return TestReply::text("via-proxy"); });
    ::setenv("http_proxy", proxy.url().c_str(), 1);
    ::setenv("HTTP_PROXY", proxy.url().c_str(), 1);
    ::setenv("ALL_PROXY", proxy.url().c_str(), 1);
    auto http = makeHttpClient(fastConfig());
    auto body = http->get(server.url() + "/x");
    ::unsetenv("http_proxy");
    ::unsetenv("HTTP_PROXY");
    ::unsetenv("ALL_PROXY");
    EXPECT_EQ(body, "direct");
    EXPECT_TRUE(proxy.requests().empty());
}

TEST(HttpClient, RefusesHostnamesWithoutResolving)
{
    auto http = makeHttpClient(fastConfig());
    auto e = expectHttpError(*http, "http://metadata.google.internal/computeMetadata/v1/");
    EXPECT_EQ(e.kind(), HttpFailure::Permanent);
    EXPECT_NE(std::string(e.what()).find("IP address"), std::string::npos) << e.what();
}

TEST(HttpClient, RedirectsOnlyWithinTheSameHost)
{
    TestHttpServer other([](const TestRequest &) { return TestReply::text("elsewhere"); });
    TestHttpServer server([&](const TestRequest & r) {
        if (r.path == "/same")
            return TestReply{302, "", {{"Location", "/target"}}, Fault::None};
        if (r.path == "/target")
            return TestReply::text("target");
        return TestReply{302, "", {{"Location", other.url() + "/x"}}, Fault::None};
    });
    auto http = makeHttpClient(fastConfig());
    EXPECT_EQ(http->get(server.url() + "/same"), "target");
    auto e = expectHttpError(*http, server.url() + "/away");
    EXPECT_EQ(e.kind(), HttpFailure::Permanent);
    EXPECT_NE(std::string(e.what()).find("another host"), std::string::npos) << e.what();
    EXPECT_TRUE(other.requests().empty());
}

TEST(HttpClient, RetriesServerErrorsThenSucceeds)
{
    std::atomic<int> n{0};
    TestHttpServer server([&](const TestRequest &) { return ++n <= 2 ? TestReply::code(500) : TestReply::text("ok"); });
    auto clock = std::make_shared<RecordingClock>();
    auto http = makeHttpClient(fastConfig(), clock);
    EXPECT_EQ(http->get(server.url() + "/x"), "ok");
    EXPECT_EQ(n.load(), 3);
    ASSERT_EQ(clock->sleeps.size(), 2u);
    EXPECT_EQ(clock->sleeps[0].count(), 50);   // jitter 1.0: the full backoff
    EXPECT_EQ(clock->sleeps[1].count(), 100);
}

TEST(HttpClient, HonoursRetryAfterOn429)
{
    std::atomic<int> n{0};
    TestHttpServer server([&](const TestRequest &) {
        return ++n == 1 ? TestReply{429, "", {{"Retry-After", "2"}}, Fault::None} : TestReply::text("ok");
    });
    auto clock = std::make_shared<RecordingClock>();
    auto http = makeHttpClient(fastConfig(), clock);
    EXPECT_EQ(http->get(server.url() + "/x"), "ok");
    ASSERT_EQ(clock->sleeps.size(), 1u);
    EXPECT_EQ(clock->sleeps[0].count(), 2000);
}

// libcurl reads delta-seconds (CURLINFO_RETRY_AFTER) afresh for every transfer on the one
// handle: a later header it cannot read, or a "0", takes the computed backoff, not the last wait.
TEST(HttpClient, AnUnreadableRetryAfterTakesTheComputedBackoff)
{
    std::atomic<int> n{0};
    TestHttpServer server([&](const TestRequest &) {
        switch (++n) {
        case 1: return TestReply{429, "", {{"Retry-After", "2"}}, Fault::None};
        case 2: return TestReply{429, "", {{"Retry-After", "soon"}}, Fault::None};
        case 3: return TestReply{503, "", {{"Retry-After", "0"}}, Fault::None};
        default: return TestReply::text("ok");
        }
    });
    auto clock = std::make_shared<RecordingClock>();
    auto http = makeHttpClient(fastConfig(), clock);
    EXPECT_EQ(http->get(server.url() + "/x"), "ok");
    ASSERT_EQ(clock->sleeps.size(), 3u);
    EXPECT_EQ(clock->sleeps[0].count(), 2000);
    EXPECT_EQ(clock->sleeps[1].count(), 100);  // jitter 1.0: the full backoff of the second retry
    EXPECT_EQ(clock->sleeps[2].count(), 200);
}

TEST(HttpClient, HonoursRetryAfterDateOn503RelativeToTheServersDate)
{
    // The server's clock is in 1994: the wait is the difference of its two stamps, whatever ours says.
    std::atomic<int> n{0};
    TestHttpServer server([&](const TestRequest &) {
        return ++n == 1 ? TestReply{503, "", {{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                                             {"Retry-After", "Sun, 06 Nov 1994 08:49:39 GMT"}}, Fault::None}
                        : TestReply::text("ok");
    });
    auto clock = std::make_shared<RecordingClock>();
    auto http = makeHttpClient(fastConfig(), clock);
    EXPECT_EQ(http->get(server.url() + "/x"), "ok");
    ASSERT_EQ(clock->sleeps.size(), 1u);
    EXPECT_EQ(clock->sleeps[0].count(), 2000);
}

TEST(HttpClient, HonoursRetryAfterDateWithoutDateAgainstTheLocalClock)
{
    std::atomic<int> n{0};
    TestHttpServer server([&](const TestRequest &) {
        return ++n == 1 ? TestReply{503, "", {{"Retry-After", "Wednesday, 21-Oct-15 07:28:01 GMT"}}, Fault::None}
                        : TestReply::text("ok");
    });
    auto clock = std::make_shared<RecordingClock>();
    clock->wall = sys_days{year{2015} / October / 21} + hours{7} + minutes{28};
    auto http = makeHttpClient(fastConfig(), clock);
    EXPECT_EQ(http->get(server.url() + "/x"), "ok");
    ASSERT_EQ(clock->sleeps.size(), 1u);
    EXPECT_EQ(clock->sleeps[0].count(), 1000);
}

TEST(HttpClient, RetryAfterDateBeyondTheDeadlineGivesUpAtOnce)
{
    TestHttpServer server([&](const TestRequest &) {
        return TestReply{503, "", {{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                                   {"Retry-After", "Sun, 06 Nov 1994 09:49:37 GMT"}}, Fault::None};
    });
    auto clock = std::make_shared<RecordingClock>();
    auto http = makeHttpClient(fastConfig(), clock);
    auto e = expectHttpError(*http, server.url() + "/x");
    EXPECT_EQ(e.status(), 503);
    EXPECT_TRUE(clock->sleeps.empty());
    EXPECT_EQ(server.count("/x"), 1u);
}

TEST(HttpClient, RetryAfterBeyondTheDeadlineGivesUpAtOnce)
{
    TestHttpServer server([&](const TestRequest &) { return TestReply{429, "", {{"Retry-After", "3600"}}, Fault::None}; });
    auto http = makeHttpClient(fastConfig());
    HttpError e("", HttpFailure::Permanent);
    auto took = timed([&] { e = expectHttpError(*http, server.url() + "/x"); });
    EXPECT_EQ(e.kind(), HttpFailure::Transient);
    EXPECT_EQ(e.status(), 429);
    EXPECT_NE(std::string(e.what()).find("HTTP 429"), std::string::npos) << e.what();
    EXPECT_LT(took, milliseconds{2000});
    EXPECT_EQ(server.count("/x"), 1u);
}

TEST(HttpClient, ForbiddenAndOtherClientErrorsAreNotRetried)
{
    TestHttpServer server([](const TestRequest & r) { return TestReply::code(r.path == "/f" ? 403 : 400); });
    auto http = makeHttpClient(fastConfig());
    EXPECT_EQ(expectHttpError(*http, server.url() + "/f").kind(), HttpFailure::Forbidden);
    EXPECT_EQ(expectHttpError(*http, server.url() + "/b").kind(), HttpFailure::Permanent);
    EXPECT_EQ(server.requests().size(), 2u);
}

TEST(HttpClient, ConnectionRefusedIsRetriedWithinTheDeadline)
{
    int port;
    {
        TestHttpServer s([](const TestRequest &) { return TestReply::code(200); });
        port = s.port();
    }  // now nothing listens there
    auto http = makeHttpClient(fastConfig());
    HttpError e("", HttpFailure::Permanent);
    auto took = timed([&] { e = expectHttpError(*http, "http://127.0.0.1:" + std::to_string(port) + "/x"); });
    EXPECT_EQ(e.kind(), HttpFailure::Transient);
    EXPECT_NE(std::string(e.what()).find("http://127.0.0.1:" + std::to_string(port) + "/x"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("gave up after 4 attempts"), std::string::npos) << e.what();
    EXPECT_LT(took, milliseconds{4000});
}

TEST(HttpClient, ServerThatNeverAnswersEndsAtTheDeadline)
{
    TestHttpServer server([](const TestRequest &) { return TestReply::fault_(Fault::Hang); });
    auto http = makeHttpClient(fastConfig());
    HttpError e("", HttpFailure::Permanent);
    auto took = timed([&] { e = expectHttpError(*http, server.url() + "/x"); });
    EXPECT_EQ(e.kind(), HttpFailure::Transient);
    EXPECT_NE(std::string(e.what()).find("no complete answer"), std::string::npos) << e.what();
    EXPECT_GE(took, milliseconds{900});
    EXPECT_LT(took, milliseconds{3000 + 1000 + 1500});  // deadline + one request timeout + slack
}

TEST(HttpClient, DrippedBodyEndsAtTheDeadline)
{
    TestHttpServer server([](const TestRequest &) { return TestReply::fault_(Fault::Drip, std::string(100, 'x')); });
    auto http = makeHttpClient(fastConfig());
    HttpError e("", HttpFailure::Permanent);
    auto took = timed([&] { e = expectHttpError(*http, server.url() + "/x"); });
    EXPECT_EQ(e.kind(), HttpFailure::Transient);
    EXPECT_LT(took, milliseconds{3000 + 1000 + 1500});
}

TEST(HttpClient, BodyPastTheCapIsRefusedWhileReading)
{
    // Dripped and without a usable length up front, the cap must trip in the write callback.
    TestHttpServer server([](const TestRequest & r) {
        if (r.path == "/big")
            return TestReply::fault_(Fault::NoLength, std::string(200000, 'x'));
        if (r.path == "/declared")
            return TestReply::text(std::string(5000, 'x'));
        return TestReply::text(std::string(1024, 'y'));
    });
    auto http = makeHttpClient(fastConfig());
    for (const char * path : {"/big", "/declared"}) {
        auto e = expectHttpError(*http, server.url() + path);
        EXPECT_EQ(e.kind(), HttpFailure::Permanent);
        EXPECT_NE(std::string(e.what()).find("http.max_body_bytes"), std::string::npos) << e.what();
        EXPECT_EQ(server.count(path), 1u);
    }
    EXPECT_EQ(http->get(server.url() + "/edge")->size(), 1024u);  // exactly the cap is fine
}

TEST(HttpClient, ResetMidBodyIsTransient)
{
    TestHttpServer server([](const TestRequest &) { return TestReply::fault_(Fault::ResetMidBody, std::string(600, 'x')); });
    auto http = makeHttpClient(fastConfig());
    HttpError e("", HttpFailure::Permanent);
    auto took = timed([&] { e = expectHttpError(*http, server.url() + "/x"); });
    EXPECT_EQ(e.kind(), HttpFailure::Transient) << e.what();
    EXPECT_EQ(server.count("/x"), 4u);  // 1 + http.retries
    EXPECT_LT(took, milliseconds{4500});
}

TEST(HttpClient, UnixSocket)
{
    auto dir = std::filesystem::temp_directory_path() / ("imprint-http-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string sock = (dir / "sock").string();
    {
        TestHttpServer server([](const TestRequest & r) { return TestReply::text("path=" + r.path); }, sock);
        auto http = makeHttpClient(fastConfig());
        // The host is only a name in the request line: nothing is resolved.
        EXPECT_EQ(http->get("http://incus/1.0/meta-data", {}, sock), "path=/1.0/meta-data");
    }
    std::filesystem::remove_all(dir);
}

TEST(HttpClient, ErrorsNeverContainHeaderValues)
{
    TestHttpServer server([](const TestRequest &) { return TestReply::code(403); });
    auto http = makeHttpClient(fastConfig());
    try {
        http->get(server.url() + "/x", {{"X-aws-ec2-metadata-token", "SECRET-TOKEN"}});
        FAIL();
    } catch (const HttpError & e) {
        EXPECT_EQ(std::string(e.what()).find("SECRET-TOKEN"), std::string::npos);
    }
}

TEST(HttpClient, AStepAfterTheFetchGetsADeadlineOfItsOwn)
{
    // Azure's Ready report follows the fetch: it must not inherit what the fetch left of the
    // deadline (run.cc asks for withOwnDeadline()).
    TestHttpServer server([](const TestRequest &) { return TestReply::text("ok"); });
    auto clock = std::make_shared<RecordingClock>();
    auto fetch = makeHttpClient(fastConfig(), clock);
    EXPECT_EQ(fetch->get(server.url() + "/fetch"), "ok");
    clock->skew += milliseconds{fastConfig().deadline.count() + 1};  // the fetch took it all
    auto spent = expectHttpError(*fetch, server.url() + "/late");
    EXPECT_NE(std::string(spent.what()).find("deadline"), std::string::npos) << spent.what();
    auto report = fetch->withOwnDeadline();
    EXPECT_EQ(report->get(server.url() + "/report"), "ok");
    EXPECT_EQ(server.count("/late"), 0u);
    EXPECT_EQ(server.count("/report"), 1u);
}

TEST(HttpClient, AConnectionThisMachineRefusesIsNotRetried)
{
    // A prohibit route to the metadata server (systemd-imds's locked mode without its marked
    // route, or a firewall): connect(2) fails with EACCES at once. imprint asks once more with
    // systemd-imdsd's firewall mark (the nspawn tier's imds-locked scenario shows it getting
    // through that way), then ends at once with a sentence that says why; no backoff.
    if (::geteuid() != 0 || !std::filesystem::exists("/usr/bin/unshare") || !std::filesystem::exists("/usr/sbin/ip"))
        GTEST_SKIP() << "needs root, unshare(1) and ip(8) to build a network namespace with a prohibit route";
    std::string root = imprint::test::makeTempDir("prohibit");
    std::string script = "set -e; ip link set lo up; ip addr add 169.254.0.2/16 dev lo; "
                         "ip route add prohibit 169.254.169.254/32; exec \"$@\"";
    auto r = imprint::test::runCapture({"/usr/bin/unshare", "-n", "/bin/sh", "-c", script, "sh", IMPRINT_BINARY, "--root",
                                        root, "--source", "hetzner", "fetch"});
    if (r.err.find("unshare failed") != std::string::npos || r.err.find("Operation not permitted") != std::string::npos)
        GTEST_SKIP() << "cannot create a network namespace here: " << r.err;
    EXPECT_EQ(r.exitCode, 1) << r.err;
    EXPECT_NE(r.err.find("this machine refuses the connection"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("asked again with systemd-imdsd's firewall mark"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("http://169.254.169.254/hetzner/v1/metadata"), std::string::npos) << r.err;
    EXPECT_LT(r.elapsed, std::chrono::seconds(5)) << "retried: " << r.err;
    std::filesystem::remove_all(root);
}
