#include "tests/fuzz/nix-token-check.hh"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace imprint::fuzz {

namespace {

bool isIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isIdentChar(char c) { return isIdentStart(c) || (c >= '0' && c <= '9') || c == '\'' || c == '-'; }

// Nix's keywords (src/libexpr/lexer.l); an attribute name spelled as one would not be a name.
bool isKeyword(std::string_view s)
{
    for (auto k : {"if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or", "__curPos"})
        if (s == k)
            return true;
    return false;
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

[[noreturn]] void die(const std::string & what, std::string_view overlay)
{
    std::fprintf(stderr, "overlay property violated: %s\n--- overlay ---\n%.*s\n---\n", what.c_str(),
                 static_cast<int>(overlay.size()), overlay.data());
    std::abort();
}

std::string describe(const Token & t)
{
    static const char * names[] = {"Ident", "String", "Number", "Punct", "Comment", "AttrName"};
    return std::string(names[t.kind]) + "(" + t.text + ")";
}

} // namespace

std::optional<std::string> decodeNixString(std::string_view t, std::size_t & pos)
{
    if (pos >= t.size() || t[pos] != '"')
        return std::nullopt;
    std::string out;
    std::size_t p = pos + 1;
    static constexpr std::string_view interp = "${builtins.fromJSON \"\\\"\\\\u00";
    while (p < t.size()) {
        char c = t[p];
        if (c == '"') {
            pos = p + 1;
            return out;
        }
        if (c == '\\') {
            if (p + 1 >= t.size())
                return std::nullopt;
            char e = t[p + 1];
            out += e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
            p += 2;
            continue;
        }
        if (c == '$') {
            if (p + 1 < t.size() && t[p + 1] == '{') {
                // Only the control-character form nixString writes: ${builtins.fromJSON "\"\\u00XX\""}
                if (t.substr(p, interp.size()) != interp || p + interp.size() + 6 > t.size())
                    return std::nullopt;
                std::size_t h = p + interp.size();
                int hi = hexValue(t[h]), lo = hexValue(t[h + 1]);
                if (hi < 0 || lo < 0 || t.substr(h + 2, 4) != "\\\"\"}")
                    return std::nullopt;
                int v = hi * 16 + lo;
                if (v == 0 || v >= 0x20)
                    return std::nullopt;
                out += static_cast<char>(v);
                p = h + 6;
                continue;
            }
            // A lone '$' is literal in Nix, but nixString always escapes it; be strict.
            return std::nullopt;
        }
        out += c;
        ++p;
    }
    return std::nullopt;
}

std::vector<Token> tokenize(std::string_view t)
{
    std::vector<Token> out;
    std::size_t p = 0;
    while (p < t.size()) {
        char c = t[p];
        if (c == ' ' || c == '\n') { ++p; continue; }
        if (c == '#') {
            auto nl = t.find('\n', p);
            if (nl == std::string_view::npos)
                nl = t.size();
            out.push_back({Token::Comment, std::string(t.substr(p + 1, nl - p - 1))});
            p = nl;
            continue;
        }
        if (c == '"') {
            auto s = decodeNixString(t, p);
            if (!s)
                throw std::runtime_error("malformed string literal at byte " + std::to_string(p));
            out.push_back({Token::String, *s});
            continue;
        }
        if (isIdentStart(c)) {
            std::size_t b = p;
            while (p < t.size() && isIdentChar(t[p]))
                ++p;
            out.push_back({Token::Ident, std::string(t.substr(b, p - b))});
            continue;
        }
        if (c >= '0' && c <= '9') {
            std::size_t b = p;
            while (p < t.size() && t[p] >= '0' && t[p] <= '9')
                ++p;
            out.push_back({Token::Number, std::string(t.substr(b, p - b))});
            continue;
        }
        if (t.substr(p, 3) == "...") {
            out.push_back({Token::Punct, "..."});
            p += 3;
            continue;
        }
        if (t.substr(p, 2) == "++") {  // between the overlay's checks
            out.push_back({Token::Punct, "++"});
            p += 2;
            continue;
        }
        if (std::string_view("{}[]=;.:,()").find(c) != std::string_view::npos) {
            out.push_back({Token::Punct, std::string(1, c)});
            ++p;
            continue;
        }
        throw std::runtime_error("unexpected byte " + std::to_string(static_cast<unsigned char>(c)) + " at " + std::to_string(p));
    }
    return out;
}

namespace {

struct Expect
{
    std::vector<Token> toks;
    void id(std::string s) { toks.push_back({Token::Ident, std::move(s)}); }
    void str(std::string s) { toks.push_back({Token::String, std::move(s)}); }
    void num(int n) { toks.push_back({Token::Number, std::to_string(n)}); }
    void p(std::string s) { toks.push_back({Token::Punct, std::move(s)}); }
    void attr(std::string s) { toks.push_back({Token::AttrName, std::move(s)}); }
    void path(std::initializer_list<const char *> parts)
    {
        bool first = true;
        for (auto * part : parts) {
            if (!first) p(".");
            first = false;
            id(part);
        }
    }
    void overridden(int prio, const std::string & value)
    {
        p("=");
        id("lib"); p("."); id("mkOverride"); num(prio); str(value); p(";");
    }
    void list(const std::vector<std::string> & items)
    {
        p("=");
        p("[");
        for (const auto & i : items)
            str(i);
        p("]");
        p(";");
    }
};

} // namespace

namespace {

// The overlay's check of what it asked for (render.cc's `check`): `is "option" want got files`.
struct CheckTokens
{
    std::vector<std::vector<Token>> checks;

    void add(const char * kind, const std::string & option, std::vector<Token> want, std::vector<Token> got,
             std::initializer_list<const char *> filesOf)
    {
        Expect c;
        c.id(kind);
        c.str(option);
        c.toks.insert(c.toks.end(), want.begin(), want.end());
        c.toks.insert(c.toks.end(), got.begin(), got.end());
        c.id("options");
        for (auto * part : filesOf) { c.p("."); c.id(part); }
        c.p("."); c.id("files");
        checks.push_back(std::move(c.toks));
    }
};

std::vector<Token> stringToken(const std::string & s) { return {{Token::String, s}}; }

std::vector<Token> listTokens(const std::vector<std::string> & items)
{
    Expect e;
    e.p("[");
    for (const auto & i : items)
        e.str(i);
    e.p("]");
    return e.toks;
}

std::vector<Token> configPath(std::initializer_list<const char *> parts)
{
    Expect e;
    e.id("config");
    for (auto * part : parts) { e.p("."); e.id(part); }
    return e.toks;
}

// (config.fileSystems."/".NAME or null)
std::vector<Token> rootEntryOrNull(const char * name)
{
    Expect e;
    e.p("("); e.id("config"); e.p("."); e.id("fileSystems"); e.p("."); e.str("/"); e.p("."); e.id(name);
    e.id("or"); e.id("null"); e.p(")");
    return e.toks;
}

} // namespace

std::vector<Token> expectedTokens(const InstanceData & in, const RenderOptions & o)
{
    Expect e;
    CheckTokens checks;
    e.toks.push_back({Token::Comment, " Generated by imprint for this machine. Do not edit: every run of imprint rewrites it."});
    e.toks.push_back({Token::Comment, " Source: " + in.source + ". Put your own settings in your configuration instead;"});
    e.toks.push_back({Token::Comment, " a definition there with lib.mkForce wins over this file."});
    std::size_t header = e.toks.size();
    e.p("{");
    if (in.hostname && !in.preserveHostname) {
        e.path({"networking", "hostName"}); e.overridden(o.priority, *in.hostname);
        checks.add("is", "networking.hostName", stringToken(*in.hostname), configPath({"networking", "hostName"}),
                   {"networking", "hostName"});
        if (in.domain) {
            e.path({"networking", "domain"}); e.overridden(o.priority, *in.domain);
            checks.add("is", "networking.domain", stringToken(*in.domain), configPath({"networking", "domain"}),
                       {"networking", "domain"});
        }
    }
    if (in.rootDevice) {
        e.id("fileSystems"); e.p("."); e.str("/"); e.p("."); e.id("device"); e.overridden(o.priority, in.rootDevice->device);
        e.id("fileSystems"); e.p("."); e.str("/"); e.p("."); e.id("label");
        e.p("="); e.id("lib"); e.p("."); e.id("mkOverride"); e.num(o.priority); e.id("null"); e.p(";");
        checks.add("is", "fileSystems.\"/\".device", stringToken(in.rootDevice->device), rootEntryOrNull("device"),
                   {"fileSystems"});
        if (in.rootDevice->fsType) {
            e.id("fileSystems"); e.p("."); e.str("/"); e.p("."); e.id("fsType"); e.overridden(o.priority, *in.rootDevice->fsType);
            checks.add("is", "fileSystems.\"/\".fsType", stringToken(*in.rootDevice->fsType), rootEntryOrNull("fsType"),
                       {"fileSystems"});
        }
    }
    auto keys = [&](const std::string & user, const std::vector<std::string> & k) {
        e.path({"users", "users"}); e.p("."); e.attr(user); e.p(".");
        e.path({"openssh", "authorizedKeys", "keys"}); e.list(k);
        Expect got;
        got.id("config"); got.p("."); got.path({"users", "users"}); got.p("."); got.attr(user); got.p(".");
        got.path({"openssh", "authorizedKeys", "keys"});
        checks.add("has", "users.users." + user + ".openssh.authorizedKeys.keys", listTokens(k), got.toks,
                   {"users", "users"});
    };
    if (!in.sshAuthorizedKeys.empty())
        keys(o.sshUser, in.sshAuthorizedKeys);
    for (const auto & [user, k] : in.userKeys) {
        if (k.empty())
            continue;
        if (user != "root") {  // cloud-init creates the users it is given
            e.path({"users", "users"}); e.p("."); e.attr(user); e.p("."); e.id("isNormalUser");
            e.p("="); e.id("lib"); e.p("."); e.id("mkDefault"); e.id("true"); e.p(";");
        }
        keys(user, k);
    }
    if (in.timezone) {
        e.path({"time", "timeZone"}); e.overridden(o.priority, *in.timezone);
        checks.add("is", "time.timeZone", stringToken(*in.timezone), configPath({"time", "timeZone"}), {"time", "timeZone"});
    }
    if (!in.facts.empty()) {
        e.path({"services", "imprint", "facts"}); e.p("="); e.p("{");
        for (const auto & [cat, entries] : in.facts) {
            e.attr(cat); e.p("="); e.p("{");
            for (const auto & [k, v] : entries) { e.attr(k); e.p("="); e.str(v); e.p(";"); }
            e.p("}"); e.p(";");
        }
        e.p("}"); e.p(";");
    }
    if (!checks.checks.empty()) {
        e.id("warnings"); e.p("=");
        for (std::size_t i = 0; i < checks.checks.size(); ++i) {
            if (i > 0)
                e.p("++");
            e.toks.insert(e.toks.end(), checks.checks[i].begin(), checks.checks[i].end());
        }
        e.p(";");
    }
    e.p("}");
    // The function's arguments: `config` and `options` only where there are checks to read them.
    Expect args;
    args.p("{");
    if (!checks.checks.empty()) { args.id("config"); args.p(","); }
    args.id("lib"); args.p(",");
    if (!checks.checks.empty()) { args.id("options"); args.p(","); }
    args.p("..."); args.p("}"); args.p(":");
    e.toks.insert(e.toks.begin() + static_cast<std::ptrdiff_t>(header), args.toks.begin(), args.toks.end());
    return e.toks;
}

void checkOverlay(std::string_view overlay, const InstanceData & in, const RenderOptions & o)
{
    // The helpers' `let` block is a constant (it carries no data from outside, and its strings
    // interpolate): it must be there byte for byte after the arguments, and is cut out before the
    // rest is read token by token.
    std::string text(overlay);
    const std::string_view helpers = overlayCheckHelpers();
    const std::string withChecks = "{ config, lib, options, ... }:\n";
    if (auto at = text.find(withChecks); at != std::string::npos && text.find(std::string(helpers)) == at + withChecks.size())
        text.erase(at + withChecks.size(), helpers.size());
    else if (at != std::string::npos)
        die("an overlay with checks lacks the helpers' let block right after its arguments", overlay);
    std::vector<Token> got;
    try {
        got = tokenize(text);
    } catch (const std::exception & ex) {
        die(ex.what(), overlay);
    }
    auto want = expectedTokens(in, o);
    // A comment token would swallow the rest of its line: a comment whose text spans past what
    // was intended shows up as a missing token below.
    std::size_t n = std::min(got.size(), want.size());
    for (std::size_t i = 0; i < n; ++i) {
        const Token & g = got[i], & w = want[i];
        bool ok;
        if (w.kind == Token::AttrName)
            ok = (g.kind == Token::String && g.text == w.text) ||
                 (g.kind == Token::Ident && g.text == w.text && !isKeyword(g.text));
        else
            ok = g.kind == w.kind && g.text == w.text;
        if (!ok)
            die("token " + std::to_string(i) + ": got " + describe(g) + ", want " + describe(w), overlay);
    }
    if (got.size() != want.size())
        die("got " + std::to_string(got.size()) + " tokens, want " + std::to_string(want.size()), overlay);
}

void checkStringRoundTrip(std::string_view s)
{
    std::string lit = nixString(s);
    std::size_t pos = 0;
    auto back = decodeNixString(lit, pos);
    if (!back || pos != lit.size() || *back != s)
        die("nixString does not decode back to its input", lit);
    std::string attr = nixAttrName(s);
    if (attr != lit) {
        if (attr != s || s.empty() || !isIdentStart(s[0]) || isKeyword(s))
            die("nixAttrName produced a bare name that is not an identifier", attr);
        for (char c : s)
            if (!isIdentChar(c))
                die("nixAttrName produced a bare name that is not an identifier", attr);
    }
}

} // namespace imprint::fuzz
