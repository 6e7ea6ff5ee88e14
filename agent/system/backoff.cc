#include "agent/system/backoff.hh"

#include <array>

namespace imprint {

using namespace std::chrono;

namespace {

constexpr std::array<std::string_view, 7> shortDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> longDays{"Sunday", "Monday", "Tuesday", "Wednesday",
                                                   "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> monthNames{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// A cursor over the text; every take* consumes on success and reports failure with false.
struct Cursor
{
    std::string_view s;

    bool literal(std::string_view lit)
    {
        if (!s.starts_with(lit))
            return false;
        s.remove_prefix(lit.size());
        return true;
    }

    // Exactly `n` digits.
    bool digits(int n, int & out)
    {
        if (s.size() < static_cast<size_t>(n))
            return false;
        out = 0;
        for (int i = 0; i < n; ++i) {
            if (s[i] < '0' || s[i] > '9')
                return false;
            out = out * 10 + (s[i] - '0');
        }
        s.remove_prefix(n);
        return true;
    }

    template<size_t N>
    bool name(const std::array<std::string_view, N> & names, unsigned & index)
    {
        // Longest first is not needed: no name in one table is a prefix of another.
        for (unsigned i = 0; i < N; ++i)
            if (literal(names[i])) {
                index = i;
                return true;
            }
        return false;
    }

    // time-of-day = hour ":" minute ":" second (second may be 60, a leap second).
    bool timeOfDay(int & h, int & m, int & sec)
    {
        return digits(2, h) && literal(":") && digits(2, m) && literal(":") && digits(2, sec) && h <= 23 && m <= 59
            && sec <= 60;
    }
};

std::optional<sys_seconds> assemble(int y, unsigned month, int d, unsigned weekday, int h, int m, int s)
{
    year_month_day ymd{year{y}, std::chrono::month{month + 1}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok())
        return std::nullopt;
    sys_days date{ymd};
    if (std::chrono::weekday{date}.c_encoding() != weekday)
        return std::nullopt;
    return sys_seconds{date} + hours{h} + minutes{m} + seconds{s};
}

} // namespace

std::optional<sys_seconds> parseHttpDate(std::string_view text, system_clock::time_point now)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n'))
        text.remove_suffix(1);
    if (text.size() > 64)
        return std::nullopt;

    unsigned wd = 0, mon = 0;
    int y = 0, d = 0, h = 0, mi = 0, s = 0;

    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    if (Cursor c{text}; c.name(shortDays, wd) && c.literal(", ") && c.digits(2, d) && c.literal(" ")
        && c.name(monthNames, mon) && c.literal(" ") && c.digits(4, y) && c.literal(" ") && c.timeOfDay(h, mi, s)
        && c.literal(" GMT") && c.s.empty())
        return assemble(y, mon, d, wd, h, mi, s);

    // rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT"
    if (Cursor c{text}; c.name(longDays, wd) && c.literal(", ") && c.digits(2, d) && c.literal("-")
        && c.name(monthNames, mon) && c.literal("-") && c.digits(2, y) && c.literal(" ") && c.timeOfDay(h, mi, s)
        && c.literal(" GMT") && c.s.empty()) {
        // RFC 9110: a two-digit year more than 50 years in the future is the most recent past
        // year with the same last two digits.
        int nowYear = static_cast<int>(year_month_day{floor<days>(now)}.year());
        int full = nowYear - nowYear % 100 + y;
        if (full > nowYear + 50)
            full -= 100;
        return assemble(full, mon, d, wd, h, mi, s);
    }

    // asctime-date: "Sun Nov  6 08:49:37 1994" (the day is two digits or a space and one digit)
    if (Cursor c{text}; c.name(shortDays, wd) && c.literal(" ") && c.name(monthNames, mon) && c.literal(" ")
        && (c.literal(" ") ? c.digits(1, d) : c.digits(2, d)) && c.literal(" ") && c.timeOfDay(h, mi, s)
        && c.literal(" ") && c.digits(4, y) && c.s.empty())
        return assemble(y, mon, d, wd, h, mi, s);

    return std::nullopt;
}

std::optional<milliseconds> retryAfterDelay(std::string_view value, std::optional<std::string_view> serverDate,
                                            system_clock::time_point localNow)
{
    if (auto delta = parseRetryAfter(value))
        return delta;
    auto when = parseHttpDate(value, localNow);
    if (!when)
        return std::nullopt;
    sys_seconds reference = floor<seconds>(localNow);
    if (serverDate)
        if (auto date = parseHttpDate(*serverDate, localNow))
            reference = *date;
    if (*when <= reference)
        return milliseconds{0};
    // Seconds, not the clock's nanoseconds: a year like 9999 must not overflow.
    seconds wait = *when - reference;
    if (wait > maxRetryAfter)
        wait = maxRetryAfter;
    return duration_cast<milliseconds>(wait);
}

} // namespace imprint
