#include "providers/kubernetes/kubelet-format.hh"

#include "agent/fetch/documents.hh"
#include "agent/system/error.hh"

#include <cstdint>
#include <optional>

namespace imprint {

namespace {

// Why a quoted value is malformed, and where (byte offset inside the quoted text). Messages say
// what is wrong, never what the value is.
struct QuoteProblem
{
    std::size_t offset;
    std::string reason;
};

std::optional<unsigned> hexDigit(char c)
{
    if (c >= '0' && c <= '9') return unsigned(c - '0');
    if (c >= 'a' && c <= 'f') return unsigned(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return unsigned(c - 'A' + 10);
    return std::nullopt;
}

void appendUtf8(std::string & out, std::uint32_t cp)
{
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

// strconv.Unquote for a double-quoted literal, plus the stricter raw-byte rules documented in
// the header. Returns the decoded bytes or the first problem.
std::string unquote(std::string_view q, std::optional<QuoteProblem> & problem)
{
    std::string out;
    auto fail = [&](std::size_t at, std::string why) {
        problem = QuoteProblem{at, std::move(why)};
        return std::string();
    };
    if (q.size() < 2 || q.front() != '"')
        return fail(0, "value does not start with '\"'");
    out.reserve(q.size());
    std::size_t i = 1;
    for (;;) {
        if (i >= q.size())
            return fail(q.size(), "value has no closing '\"'");
        char c = q[i];
        auto uc = static_cast<unsigned char>(c);
        if (c == '"') {
            if (i + 1 != q.size())
                return fail(i + 1, "text after the closing '\"'");
            return out;
        }
        if (c != '\\') {
            if (uc < 0x20 || uc == 0x7F)
                return fail(i, "raw control character in value (Go's %q escapes it)");
            if (uc < 0x80) {
                out += c;
                ++i;
                continue;
            }
            std::size_t n = utf8SequenceLength(q, i);
            if (n == 0)
                return fail(i, "invalid UTF-8 in value (Go's %q escapes it as \\xNN)");
            out.append(q.substr(i, n));
            i += n;
            continue;
        }
        // An escape sequence.
        std::size_t start = i;
        if (i + 1 >= q.size())
            return fail(start, "backslash at the end of the value");
        char e = q[i + 1];
        i += 2;
        switch (e) {
        case 'a': out += '\a'; continue;
        case 'b': out += '\b'; continue;
        case 'f': out += '\f'; continue;
        case 'n': out += '\n'; continue;
        case 'r': out += '\r'; continue;
        case 't': out += '\t'; continue;
        case 'v': out += '\v'; continue;
        case '\\': out += '\\'; continue;
        case '"': out += '"'; continue;
        case '\'':
            return fail(start, "escape \\' is only valid in Go rune literals, not in strings");
        case 'x': case 'u': case 'U': {
            std::size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            std::uint32_t v = 0;
            for (std::size_t k = 0; k < digits; ++k) {
                auto d = i + k < q.size() ? hexDigit(q[i + k]) : std::nullopt;
                if (!d)
                    return fail(start, std::string("escape \\") + e + " needs " + std::to_string(digits) + " hex digits");
                v = v * 16 + *d;
            }
            i += digits;
            if (e == 'x') {
                out += char(v);  // a byte, as in Go: may be half of a UTF-8 sequence or invalid UTF-8
                continue;
            }
            if (v > 0x10FFFF)
                return fail(start, "escape names a code point past U+10FFFF");
            if (v >= 0xD800 && v <= 0xDFFF)
                return fail(start, "escape names a UTF-16 surrogate, not a character");
            appendUtf8(out, v);
            continue;
        }
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            unsigned v = unsigned(e - '0');
            for (std::size_t k = 0; k < 2; ++k) {
                if (i + k >= q.size() || q[i + k] < '0' || q[i + k] > '7')
                    return fail(start, "octal escape needs 3 octal digits");
                v = v * 8 + unsigned(q[i + k] - '0');
            }
            i += 2;
            if (v > 255)
                return fail(start, "octal escape is larger than \\377");
            out += char(v);
            continue;
        }
        default:
            return fail(start, "unknown escape sequence");
        }
    }
}

bool isAlnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool isDnsSubdomain(std::string_view s)
{
    if (s.empty() || s.size() > 253)
        return false;
    std::size_t labelStart = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        if (i < s.size() && s[i] != '.')
            continue;
        auto label = s.substr(labelStart, i - labelStart);
        if (label.empty() || label.size() > 63)
            return false;
        for (std::size_t k = 0; k < label.size(); ++k) {
            char c = label[k];
            bool lowerAlnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            if (!lowerAlnum && !(c == '-' && k > 0 && k + 1 < label.size()))
                return false;
        }
        labelStart = i + 1;
    }
    return true;
}

} // namespace

bool isKubernetesQualifiedName(std::string_view key)
{
    std::string_view name = key;
    if (auto slash = key.find('/'); slash != std::string_view::npos) {
        if (!isDnsSubdomain(key.substr(0, slash)))
            return false;
        name = key.substr(slash + 1);
    }
    if (name.empty() || name.size() > 63 || !isAlnum(name.front()) || !isAlnum(name.back()))
        return false;
    for (char c : name)
        if (!isAlnum(c) && c != '-' && c != '_' && c != '.')
            return false;
    return true;
}

std::string unquoteGoString(std::string_view quoted)
{
    std::optional<QuoteProblem> problem;
    auto value = unquote(quoted, problem);
    if (problem)
        throw Error("at byte " + std::to_string(problem->offset) + " of the quoted value: " + problem->reason);
    return value;
}

std::map<std::string, std::string> parseKubeletMap(std::string_view text, const std::string & origin)
{
    std::map<std::string, std::string> result;
    if (!text.empty() && text.back() == '\n')
        text.remove_suffix(1);
    if (text.empty())
        return result;
    std::size_t lineNo = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        ++lineNo;
        auto nl = text.find('\n', pos);
        auto line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;

        auto where = origin + ":" + std::to_string(lineNo) + ": ";
        if (line.empty())
            throw Error(where + "empty line (kubelet writes one key=\"value\" per line)");
        auto eq = line.find('=');
        if (eq == std::string_view::npos)
            throw Error(where + "expected key=\"value\", found no '='");
        auto key = line.substr(0, eq);
        if (!isKubernetesQualifiedName(key))
            throw Error(where + "key is not a Kubernetes qualified name ([prefix/]name)");
        std::optional<QuoteProblem> problem;
        auto value = unquote(line.substr(eq + 1), problem);
        if (problem)
            throw Error(where + "value of key '" + std::string(key) + "' at column " +
                        std::to_string(eq + 2 + problem->offset) + ": " + problem->reason);
        if (!result.emplace(std::string(key), std::move(value)).second)
            throw Error(where + "key '" + std::string(key) + "' appears twice");
    }
    return result;
}

} // namespace imprint
