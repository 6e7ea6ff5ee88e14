// The retry schedule is a pure function: a table pins it down.

#include "agent/system/backoff.hh"
#include "agent/system/http.hh"

#include <curl/curl.h>
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

namespace {

using namespace std::chrono;

sys_seconds at(int y, unsigned mo, unsigned d, int h, int mi, int s)
{
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

const system_clock::time_point now2025 = at(2025, 6, 1, 12, 0, 0);

} // namespace

TEST(Backoff, ParseHttpDateForms)
{
    // RFC 9110's own example instant, in its three forms.
    auto expected = at(1994, 11, 6, 8, 49, 37);
    EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT", now2025), expected);   // IMF-fixdate
    EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", now2025), expected);  // RFC 850
    EXPECT_EQ(parseHttpDate("Sun Nov  6 08:49:37 1994", now2025), expected);        // asctime
    EXPECT_EQ(parseHttpDate(" Wed, 21 Oct 2015 07:28:00 GMT\r\n", now2025), at(2015, 10, 21, 7, 28, 0));
    EXPECT_EQ(parseHttpDate("Thu, 29 Feb 2024 23:59:60 GMT", now2025), at(2024, 3, 1, 0, 0, 0));  // leap second
    EXPECT_EQ(parseHttpDate("Fri, 31 Dec 9999 23:59:59 GMT", now2025), at(9999, 12, 31, 23, 59, 59));
    EXPECT_EQ(parseHttpDate("Tue Oct 21 07:28:00 2025", now2025), at(2025, 10, 21, 7, 28, 0));
}

TEST(Backoff, ParseHttpDateRfc850Century)
{
    // A two-digit year more than 50 years ahead is the most recent past year with those digits.
    EXPECT_EQ(parseHttpDate("Saturday, 01-Jun-75 00:00:00 GMT", now2025), at(2075, 6, 1, 0, 0, 0));
    EXPECT_EQ(parseHttpDate("Wednesday, 01-Jun-77 00:00:00 GMT", now2025), at(1977, 6, 1, 0, 0, 0));
    EXPECT_EQ(parseHttpDate("Sunday, 01-Jun-25 00:00:00 GMT", now2025), at(2025, 6, 1, 0, 0, 0));
}

TEST(Backoff, ParseHttpDateRejectsGarbage)
{
    for (const char * bad : {"", "GMT", "120", "Sun, 06 Nov 1994 08:49:37",            // no zone
                             "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37 +0000",
                             "sun, 06 nov 1994 08:49:37 gmt",                                // names are case-sensitive
                             "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 94 08:49:37 GMT",  // wrong widths
                             "Mon, 06 Nov 1994 08:49:37 GMT",                                // wrong day name
                             "Sun, 31 Nov 1994 08:49:37 GMT", "Fri, 29 Feb 2019 00:00:00 GMT",  // no such date
                             "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
                             "Sun, 06 Nov 1994 08:49:61 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                             "Sun, 06 Nov 1994 08:49:37 GMT trailing", "Sun,06 Nov 1994 08:49:37 GMT",
                             "Sun, 06 Nov 1994 08:49:3x GMT", "Sun, 06-Nov-94 08:49:37 GMT",  // RFC 850 needs the long name
                             "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 94"})
        EXPECT_FALSE(parseHttpDate(bad, now2025)) << bad;
}

TEST(Backoff, RetryAfterDelay)
{
    const std::optional<std::string_view> noDate;
    // Delta-seconds as before.
    EXPECT_EQ(retryAfterDelay("2", noDate, now2025), milliseconds{2000});
    // A date relative to the local clock when the server sends no Date.
    EXPECT_EQ(retryAfterDelay("Sun, 01 Jun 2025 12:00:30 GMT", noDate, now2025), milliseconds{30000});
    // ... and relative to the server's Date when it does, whatever our clock says.
    EXPECT_EQ(retryAfterDelay("Sun, 06 Nov 1994 08:49:40 GMT", "Sun, 06 Nov 1994 08:49:37 GMT", now2025),
              milliseconds{3000});
    // A Date that does not parse is ignored: the local clock is the reference again.
    EXPECT_EQ(retryAfterDelay("Sun, 01 Jun 2025 12:00:01 GMT", "yesterday", now2025), milliseconds{1000});
    // Past dates (and the very instant) mean no wait.
    EXPECT_EQ(retryAfterDelay("Sun, 06 Nov 1994 08:49:37 GMT", noDate, now2025), milliseconds{0});
    EXPECT_EQ(retryAfterDelay("Sun, 01 Jun 2025 12:00:00 GMT", noDate, now2025), milliseconds{0});
    EXPECT_EQ(retryAfterDelay("Sun, 06 Nov 1994 08:49:37 GMT", "Mon, 07 Nov 1994 08:49:37 GMT", now2025),
              milliseconds{0});
    // Sub-second local time: the date's second boundary counts, not a negative fraction.
    EXPECT_EQ(retryAfterDelay("Sun, 01 Jun 2025 12:00:02 GMT", noDate, now2025 + milliseconds{700}),
              milliseconds{2000});
    // Capped like delta-seconds (nine digits), far beyond any deadline.
    EXPECT_EQ(retryAfterDelay("Fri, 31 Dec 9999 23:59:59 GMT", noDate, now2025),
              duration_cast<milliseconds>(maxRetryAfter));
    // Garbage is ignored (the computed backoff applies).
    EXPECT_FALSE(retryAfterDelay("soon", noDate, now2025));
    EXPECT_FALSE(retryAfterDelay("Sun, 32 Jun 2025 12:00:30 GMT", noDate, now2025));
    EXPECT_FALSE(retryAfterDelay("-5", noDate, now2025));
    // The deadline still applies afterwards, as for delta-seconds.
    BackoffPolicy p{milliseconds{100}, milliseconds{1000}};
    auto wait = retryAfterDelay("Sun, 01 Jun 2025 12:00:30 GMT", noDate, now2025);
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

// Why the HTTP-date parser is imprint's own and not libcurl's curl_getdate (issue 14 asked for
// the swap "without loosening a check"): curl_getdate is a general date reader. It takes what an
// HTTP-date must not be, and it reads RFC 850's two-digit years against a fixed pivot where RFC
// 9110 says "more than 50 years in the future is the past century". CURLINFO_RETRY_AFTER, for
// its part, measures a date against the local clock, which at a first boot may be anything;
// retryAfterDelay measures it against the server's own Date.
TEST(Backoff, CurlGetdateIsNoHttpDateParser)
{
    const char * mustBeRejected[] = {"sun, 06 nov 1994 08:49:37 gmt", "Sun, 06 Nov 1994 08:49:37",
                                      "Mon, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT trailing"};
    for (const char * text : mustBeRejected) {
        EXPECT_FALSE(parseHttpDate(text, now2025)) << text;
        EXPECT_NE(curl_getdate(text, nullptr), -1) << "curl_getdate started to reject '" << text
                                                   << "': it may now serve as imprint's HTTP-date parser";
    }
    // 2-digit year 74 in 2025: 2074 is within 50 years, so RFC 9110 reads 2074; curl reads 1974.
    EXPECT_EQ(parseHttpDate("Friday, 01-Jun-74 00:00:00 GMT", now2025), at(2074, 6, 1, 0, 0, 0));
    EXPECT_EQ(curl_getdate("Friday, 01-Jun-74 00:00:00 GMT", nullptr), 139276800);  // 1974-06-01
}
