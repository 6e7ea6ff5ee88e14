// The retry schedule is a pure function: a table pins it down.

#include "agent/system/backoff.hh"
#include "agent/system/http.hh"

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

namespace {

using namespace std::chrono;

sys_seconds at(int y, unsigned mo, unsigned d, int h, int mi, int s)
{
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

const system_clock::time_point now2025 = at(2025, 6, 1, 12, 0, 0);
const std::optional<std::string_view> noDate;

} // namespace

// libcurl reads the dates (curl_getdate); these pin what imprint relies on.
TEST(Backoff, HttpDatesAreReadByLibcurl)
{
    // RFC 9110's own example instant, in its three forms.
    auto expected = at(1994, 11, 6, 8, 49, 37);
    EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), expected);   // IMF-fixdate
    EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), expected);  // RFC 850
    EXPECT_EQ(parseHttpDate("Sun Nov  6 08:49:37 1994"), expected);        // asctime
    EXPECT_EQ(parseHttpDate(" Wed, 21 Oct 2015 07:28:00 GMT\r\n"), at(2015, 10, 21, 7, 28, 0));
    EXPECT_EQ(parseHttpDate("Fri, 31 Dec 9999 23:59:59 GMT"), at(9999, 12, 31, 23, 59, 59));
    // Text with no date in it is none (delta-seconds included: it is not a date).
    for (const char * none : {"", "soon", "GMT", "120", "-5", "Sun, 32 Jun 2025 12:00:30 GMT"})
        EXPECT_FALSE(parseHttpDate(none)) << none;
}

TEST(Backoff, RetryAfterDelay)
{
    // Delta-seconds: libcurl's reading (CURLINFO_RETRY_AFTER), capped like every wait.
    EXPECT_EQ(retryAfterDelay("2", noDate, now2025, 2), milliseconds{2000});
    EXPECT_EQ(retryAfterDelay("120", noDate, now2025, 120), milliseconds{120000});
    EXPECT_EQ(retryAfterDelay("99999999999999999999", noDate, now2025, 9223372036854775807LL),
              duration_cast<milliseconds>(maxRetryAfter));
    // curl's 0 (no header, unreadable, or "0") and anything below: the computed backoff applies.
    EXPECT_FALSE(retryAfterDelay("soon", noDate, now2025, 0));
    EXPECT_FALSE(retryAfterDelay("0", noDate, now2025, 0));
    EXPECT_FALSE(retryAfterDelay("-5", noDate, now2025, -5));
    // A date relative to the local clock when the server sends no Date; curl's own reading of a
    // date (against the local clock, here made up) is not used.
    EXPECT_EQ(retryAfterDelay("Sun, 01 Jun 2025 12:00:30 GMT", noDate, now2025, 12345), milliseconds{30000});
    // ... and relative to the server's Date when it does, whatever our clock says.
    EXPECT_EQ(retryAfterDelay("Sun, 06 Nov 1994 08:49:40 GMT", "Sun, 06 Nov 1994 08:49:37 GMT", now2025, -1),
              milliseconds{3000});
    // A Date that does not parse is ignored: the local clock is the reference again.
    EXPECT_EQ(retryAfterDelay("Sun, 01 Jun 2025 12:00:01 GMT", "yesterday", now2025, 0), milliseconds{1000});
    // Past dates (and the very instant) mean no wait.
    EXPECT_EQ(retryAfterDelay("Sun, 06 Nov 1994 08:49:37 GMT", noDate, now2025, 0), milliseconds{0});
    EXPECT_EQ(retryAfterDelay("Sun, 01 Jun 2025 12:00:00 GMT", noDate, now2025, 0), milliseconds{0});
    EXPECT_EQ(retryAfterDelay("Sun, 06 Nov 1994 08:49:37 GMT", "Mon, 07 Nov 1994 08:49:37 GMT", now2025, 0),
              milliseconds{0});
    // Sub-second local time: the date's second boundary counts, not a negative fraction.
    EXPECT_EQ(retryAfterDelay("Sun, 01 Jun 2025 12:00:02 GMT", noDate, now2025 + milliseconds{700}, 0),
              milliseconds{2000});
    // Capped like delta-seconds (nine digits), far beyond any deadline.
    EXPECT_EQ(retryAfterDelay("Fri, 31 Dec 9999 23:59:59 GMT", noDate, now2025, 0),
              duration_cast<milliseconds>(maxRetryAfter));
    // The deadline still applies afterwards, as for delta-seconds.
    BackoffPolicy p{milliseconds{100}, milliseconds{1000}};
    auto wait = retryAfterDelay("Sun, 01 Jun 2025 12:00:30 GMT", noDate, now2025, 0);
    EXPECT_FALSE(decideRetry(p, 1, 3, 0.5, milliseconds{10000}, wait).retry);
    EXPECT_TRUE(decideRetry(p, 1, 3, 0.5, milliseconds{40000}, wait).retry);
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
