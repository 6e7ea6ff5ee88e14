#include "agent/fetch/documents.hh"
#include "agent/system/error.hh"
#include "agent/system/memory-budget.hh"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <istream>
#include <new>
#include <streambuf>
#include <vector>

namespace imprint {

using nlohmann::json;

std::size_t utf8SequenceLength(std::string_view s, std::size_t i)
{
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80)
        return 1;
    std::size_t len;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return 0;
    if (i + len > s.size())
        return 0;
    for (std::size_t k = 1; k < len; ++k) {
        auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
        return 0;  // overlong
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

bool isValidUtf8(std::string_view s)
{
    for (std::size_t i = 0, len; i < s.size(); i += len)
        if ((len = utf8SequenceLength(s, i)) == 0)
            return false;
    return true;
}

void checkText(std::string_view data, const std::string & origin)
{
    auto nul = data.find('\0');
    if (nul != std::string_view::npos)
        throw Error(origin + ": contains a NUL byte at offset " + std::to_string(nul));
    if (!isValidUtf8(data))
        throw Error(origin + ": is not valid UTF-8");
}

std::string utf8FromYamlCpp(const std::string & value, const std::string & origin)
{
    if (isValidUtf8(value))
        return value;
    std::string out;
    out.reserve(value.size() + 16);
    for (std::size_t i = 0, len; i < value.size(); i += len) {
        if ((len = utf8SequenceLength(value, i)) != 0) {
            out.append(value, i, len);
            continue;
        }
        auto c = static_cast<unsigned char>(value[i]);
        if (c != 0x85 && c != 0xA0)
            throw Error(origin + ": a scalar is not valid UTF-8 once unescaped");
        out += '\xC2';
        out += value[i];
        len = 1;
    }
    return out;
}

namespace {

// Node budget: YAML aliases can expand a small text into an exponential tree ("billion laughs").
constexpr std::size_t kMaxNodes = 1'000'000;

// A std::streambuf over text that stays where it is: no copy of up to 16 MiB for yaml-cpp.
class ViewBuffer : public std::streambuf
{
public:
    explicit ViewBuffer(std::string_view text)
    {
        char * begin = const_cast<char *>(text.data());  // only ever read
        setg(begin, begin, begin + text.size());
    }
};

bool isYamlNull(const std::string & s)
{
    return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::optional<bool> yamlBool(const std::string & s)
{
    static const char * yes[] = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
    static const char * no[] = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
    for (auto * y : yes) if (s == y) return true;
    for (auto * n : no) if (s == n) return false;
    return std::nullopt;
}

// Builds the JSON tree straight from yaml-cpp's parser events. yaml-cpp's own node graph costs
// about 500 bytes a node before anything can count them (16 MiB of "- a" lines peaked at 2.1 GB):
// here every node is counted as it arrives, aliases by the size of what they repeat, so memory
// stays proportional to kMaxNodes whatever the input.
class JsonBuilder : public YAML::EventHandler
{
public:
    explicit JsonBuilder(const std::string & origin) : origin_(origin) {}

    json takeRoot() { return std::move(root_); }

    void OnDocumentStart(const YAML::Mark &) override {}
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark &, YAML::anchor_t anchor) override { add(nullptr, anchor, std::nullopt, 1); }

    void OnAlias(const YAML::Mark &, YAML::anchor_t anchor) override
    {
        auto it = anchors_.find(anchor);
        if (it == anchors_.end())
            throw Error(origin_ + ": an alias refers to an anchor that is not complete yet");
        add(it->second.value, YAML::NullAnchor, it->second.key, it->second.nodes);
    }

    void OnScalar(const YAML::Mark &, const std::string & tag, YAML::anchor_t anchor, const std::string & escaped) override
    {
        std::string value = utf8FromYamlCpp(escaped, origin_);
        json v = value;
        if (tag == "?") {  // a plain scalar: resolve like PyYAML's safe_load
            if (isYamlNull(value))
                v = nullptr;
            else if (auto b = yamlBool(value))
                v = *b;
        }
        add(std::move(v), anchor, value, 1);
    }

    void OnSequenceStart(const YAML::Mark &, const std::string &, YAML::anchor_t anchor, YAML::EmitterStyle::value) override
    {
        open(json::array(), anchor);
    }
    void OnSequenceEnd() override { close(); }

    void OnMapStart(const YAML::Mark &, const std::string &, YAML::anchor_t anchor, YAML::EmitterStyle::value) override
    {
        open(json::object(), anchor);
    }
    void OnMapEnd() override { close(); }

private:
    struct Frame
    {
        json value;
        YAML::anchor_t anchor;
        std::size_t nodesAtStart;
        std::optional<std::string> pendingKey;
    };
    struct Anchored
    {
        json value;
        std::optional<std::string> key;  // a scalar's text, for use as a mapping key
        std::size_t nodes;
    };

    const std::string & origin_;
    std::vector<Frame> stack_;
    std::map<YAML::anchor_t, Anchored> anchors_;
    std::size_t nodes_ = 0;
    json root_;

    void count(std::size_t n)
    {
        if (n > kMaxNodes - nodes_)
            throw Error(origin_ + ": expands to more than " + std::to_string(kMaxNodes) + " nodes (aliases?)");
        nodes_ += n;
    }

    void checkKeyPosition() const
    {
        if (!stack_.empty() && stack_.back().value.is_object() && !stack_.back().pendingKey)
            throw Error(origin_ + ": a mapping key is not a scalar");
    }

    void open(json empty, YAML::anchor_t anchor)
    {
        checkKeyPosition();
        if (stack_.size() > kMaxDocumentDepth)  // the new collection's depth, root = 0
            throw Error(origin_ + ": nested deeper than " + std::to_string(kMaxDocumentDepth) + " levels");
        count(1);
        stack_.push_back(Frame{std::move(empty), anchor, nodes_ - 1, std::nullopt});
    }

    void close()
    {
        Frame done = std::move(stack_.back());
        stack_.pop_back();
        if (done.value.is_object() && done.pendingKey)
            done.value[*done.pendingKey] = nullptr;  // "{a}": a key without a value
        remember(done.anchor, done.value, std::nullopt, nodes_ - done.nodesAtStart);
        place(std::move(done.value), std::nullopt);
    }

    // A complete node: `nodes` is how many it counts for (an alias: the size of its anchor's tree).
    void add(json value, YAML::anchor_t anchor, std::optional<std::string> scalarText, std::size_t nodes)
    {
        if (stack_.size() > kMaxDocumentDepth)
            throw Error(origin_ + ": nested deeper than " + std::to_string(kMaxDocumentDepth) + " levels");
        count(nodes);
        remember(anchor, value, scalarText, nodes);
        place(std::move(value), std::move(scalarText));
    }

    void remember(YAML::anchor_t anchor, const json & value, const std::optional<std::string> & key, std::size_t nodes)
    {
        if (anchor != YAML::NullAnchor)
            anchors_[anchor] = Anchored{value, key, nodes};
    }

    void place(json value, std::optional<std::string> scalarText)
    {
        if (stack_.empty()) {
            root_ = std::move(value);
            return;
        }
        Frame & top = stack_.back();
        if (top.value.is_array()) {
            top.value.push_back(std::move(value));
        } else if (!top.pendingKey) {
            if (!scalarText)
                throw Error(origin_ + ": a mapping key is not a scalar");
            top.pendingKey = std::move(scalarText);
        } else {
            top.value[*top.pendingKey] = std::move(value);
            top.pendingKey.reset();
        }
    }
};

} // namespace

json parseYaml(std::string_view text, const std::string & origin)
{
    checkText(text, origin);
    // YAML admits no C0 control character but tab, LF and CR, nor DEL (PyYAML, and so
    // cloud-init, refuses them); yaml-cpp reads 0x04 as its end-of-stream marker instead
    // (found by fuzz-yaml: it defeated the nesting bound).
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))
            throw Error(origin + ": has a carriage return without a line feed at offset " + std::to_string(i) +
                        " (old Mac line endings), which imprint does not read");
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", c);
            throw Error(origin + ": contains the control character " + hex + " at offset " + std::to_string(i) +
                        ", which YAML does not allow");
        }
    }
    // yaml-cpp reads the text in place; what it and the builder hold is bounded by one budget.
    ViewBuffer buffer(text);
    std::istream in(&buffer);
    JsonBuilder builder(origin);
    try {
        MemoryBudget budget(kMaxYamlParseMemory);
        YAML::Parser parser(in);
        parser.HandleNextDocument(builder);  // the first document, as YAML::Load reads
    } catch (const YAML::Exception & e) {
        throw Error(origin + ": invalid YAML at line " + std::to_string(e.mark.line + 1) + ", column " +
                    std::to_string(e.mark.column + 1) + ": " + e.msg);
    } catch (const std::bad_alloc &) {
        if (!MemoryBudget::latestExhausted())
            throw;  // the machine's memory, not the budget: the one handler says "out of memory"
        throw Error(origin + ": needs more than " + std::to_string(kMaxYamlParseMemory >> 20) +
                    " MiB to parse (yaml-cpp holds every token of a flow collection in memory before it parses it)");
    }
    return builder.takeRoot();
}

namespace {

// A first, DOM-free pass over a JSON text that enforces the depth cap and the node budget.
// nlohmann's callback parser cannot do it: its end_object scans the parent for discarded values,
// so 1 MiB of "[{},{},...]" took 22 s.
class JsonBounds : public nlohmann::json_sax<json>
{
public:
    explicit JsonBounds(const std::string & origin) : origin_(origin) {}

    bool null() override { return node(); }
    bool boolean(bool) override { return node(); }
    bool number_integer(number_integer_t) override { return node(); }
    bool number_unsigned(number_unsigned_t) override { return node(); }
    bool number_float(number_float_t, const string_t &) override { return node(); }
    bool string(string_t &) override { return node(); }
    bool binary(binary_t &) override { return node(); }
    bool start_object(std::size_t) override { return open(); }
    bool key(string_t &) override { return true; }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t, const std::string &, const nlohmann::detail::exception &) override
    {
        return false;  // the DOM parse that follows reports it
    }

private:
    const std::string & origin_;
    std::size_t depth_ = 0;
    std::size_t nodes_ = 0;

    bool node()
    {
        if (++nodes_ > kMaxNodes)
            throw Error(origin_ + ": has more than " + std::to_string(kMaxNodes) + " nodes");
        return true;
    }
    bool open()
    {
        if (++depth_ > kMaxDocumentDepth)
            throw Error(origin_ + ": nested deeper than " + std::to_string(kMaxDocumentDepth) + " levels");
        return node();
    }
    bool close()
    {
        --depth_;
        return true;
    }
};

} // namespace

json parseJson(std::string_view text, const std::string & origin)
{
    checkText(text, origin);
    JsonBounds bounds(origin);
    try {
        json::sax_parse(text.begin(), text.end(), &bounds);
        return json::parse(text.begin(), text.end());
    } catch (const json::parse_error & e) {
        // nlohmann ends its message with "; last read: '<the text>'": a password in a cut-short
        // document would reach the log (tests/integration/secrets-and-modes.cc). Keep the reason.
        std::string what = e.what();
        what = what.substr(what.find(':') + 2);
        what = what.substr(0, what.find("; last read"));
        throw Error(origin + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + what);
    } catch (const json::out_of_range &) {  // "1e999": a number no double holds (found by fuzz-json)
        throw Error(origin + ": invalid JSON: a number is out of range");
    }
}

json parseYamlOrJson(std::string_view text, const std::string & origin)
{
    auto first = text.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && (text[first] == '{' || text[first] == '['))
        return parseJson(text, origin);
    return parseYaml(text, origin);
}

std::optional<std::string> scalarText(const json & v)
{
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_number_integer()) return std::to_string(v.get<long long>());
    if (v.is_number_unsigned()) return std::to_string(v.get<unsigned long long>());
    if (v.is_number_float()) return v.dump();
    return std::nullopt;
}

std::optional<bool> boolValue(const json & v)
{
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_string()) {
        auto s = v.get<std::string>();
        for (auto & c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (s == "true" || s == "yes" || s == "on" || s == "1") return true;
        if (s == "false" || s == "no" || s == "off" || s == "0") return false;
    }
    if (v.is_number_integer()) return v.get<long long>() != 0;
    return std::nullopt;
}

} // namespace imprint
