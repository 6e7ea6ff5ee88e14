// The retry schedule is a pure function: a table pins it down.

#include "agent/backoff.hh"
#include "agent/http.hh"

#include <gtest/gtest.h>

using namespace imprint;
using std::chrono::milliseconds;

TEST(Backoff, DelayTable)
{
    BackoffPolicy p{milliseconds{250}, milliseconds{5000}};
    struct Row { int retry; double jitter; long long expect; };
    const Row rows[] = {
        {0, 0.5, 0},      // not a retry
        {1, 0.0, 125},    // 250: half fixed, half jittered
        {1, 1.0, 250},
        {1, 0.5, 187},
        {2, 0.0, 250},    // 500
        {2, 1.0, 500},
        {3, 1.0, 1000},
        {4, 1.0, 2000},
        {5, 1.0, 4000},
        {6, 1.0, 5000},   // capped
        {6, 0.0, 2500},
        {60, 1.0, 5000},  // no overflow far out
        {1000000, 0.3, 3250},
        {1, -3.0, 125},   // jitter clamped
        {1, 7.0, 250},
    };
    for (const auto & r : rows)
        EXPECT_EQ(backoffDelay(p, r.retry, r.jitter).count(), r.expect) << "retry " << r.retry << " jitter " << r.jitter;
}

TEST(Backoff, DegeneratePolicies)
{
    EXPECT_EQ(backoffDelay({milliseconds{0}, milliseconds{5000}}, 3, 1.0).count(), 0);
    EXPECT_EQ(backoffDelay({milliseconds{1000}, milliseconds{300}}, 1, 1.0).count(), 300);  // cap below initial
    EXPECT_EQ(backoffDelay({milliseconds{-5}, milliseconds{-5}}, 2, 1.0).count(), 0);
}

TEST(Backoff, DecideRetryTable)
{
    BackoffPolicy p{milliseconds{1000}, milliseconds{5000}};
    struct Row {
        int retry; int max; long long remaining; std::optional<long long> retryAfter;
        bool retry_; long long delay;
    };
    const Row rows[] = {
        {1, 5, 30000, std::nullopt, true, 1000},
        {5, 5, 30000, std::nullopt, true, 5000},
        {6, 5, 30000, std::nullopt, false, 0},     // retries exhausted
        {1, 0, 30000, std::nullopt, false, 0},     // retries disabled
        {1, 5, 1000, std::nullopt, false, 0},      // the wait would reach the deadline
        {1, 5, 1001, std::nullopt, true, 1000},
        {1, 5, 0, std::nullopt, false, 0},
        {1, 5, -10, std::nullopt, false, 0},
        {1, 5, 30000, 2000LL, true, 2000},         // Retry-After replaces the backoff
        {1, 5, 30000, 0LL, true, 0},
        {1, 5, 30000, 120000LL, false, 0},         // Retry-After past the deadline: give up now
    };
    for (const auto & r : rows) {
        std::optional<milliseconds> ra;
        if (r.retryAfter)
            ra = milliseconds{*r.retryAfter};
        auto d = decideRetry(p, r.retry, r.max, 1.0, milliseconds{r.remaining}, ra);
        EXPECT_EQ(d.retry, r.retry_) << "retry " << r.retry << " remaining " << r.remaining;
        if (d.retry) {
            EXPECT_EQ(d.delay.count(), r.delay) << "retry " << r.retry;
        }
    }
}

TEST(Backoff, ParseRetryAfter)
{
    EXPECT_EQ(parseRetryAfter("2")->count(), 2000);
    EXPECT_EQ(parseRetryAfter(" 0 \r\n")->count(), 0);
    EXPECT_EQ(parseRetryAfter("120")->count(), 120000);
    EXPECT_FALSE(parseRetryAfter(""));
    EXPECT_FALSE(parseRetryAfter("-1"));
    EXPECT_FALSE(parseRetryAfter("1.5"));
    EXPECT_FALSE(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
    EXPECT_FALSE(parseRetryAfter("99999999999999999999"));
}

TEST(HttpPolicy, OnlyIpLiterals)
{
    EXPECT_EQ(checkUrlPolicy("http://169.254.169.254/latest"), "http://169.254.169.254");
    EXPECT_EQ(checkUrlPolicy("http://[fd00:ec2::254]/latest"), "http://[fd00:ec2::254]");
    EXPECT_EQ(checkUrlPolicy("http://127.0.0.1:8080/x"), "http://127.0.0.1:8080");
    EXPECT_EQ(checkUrlPolicy("https://10.0.0.1/"), "https://10.0.0.1");
    for (const char * bad : {"http://metadata.google.internal/computeMetadata/v1/", "http://localhost/",
                             "ftp://169.254.169.254/", "file:///etc/passwd", "169.254.169.254/latest",
                             "http://[zz::1]/", "gopher://127.0.0.1/"}) {
        try {
            checkUrlPolicy(bad);
            ADD_FAILURE() << "accepted " << bad;
        } catch (const HttpError & e) {
            EXPECT_EQ(e.kind(), HttpFailure::Permanent) << bad;
        }
    }
}

TEST(HttpPolicy, JoinUrl)
{
    EXPECT_EQ(joinUrl("http://169.254.169.254", "/latest/api/token"), "http://169.254.169.254/latest/api/token");
    EXPECT_EQ(joinUrl("http://169.254.169.254/", "/latest"), "http://169.254.169.254/latest");
    EXPECT_EQ(joinUrl("http://127.0.0.1:9/prefix/", "x"), "http://127.0.0.1:9/prefix/x");
}
