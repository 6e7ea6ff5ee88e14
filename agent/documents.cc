#include "agent/documents.hh"
#include "agent/error.hh"

#include <yaml-cpp/yaml.h>

#include <cstdio>

namespace imprint {

using nlohmann::json;

bool isValidUtf8(std::string_view s)
{
    std::size_t i = 0, n = s.size();
    while (i < n) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) { ++i; continue; }
        std::size_t len;
        std::uint32_t cp;
        if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
        else return false;
        if (i + len > n)
            return false;
        for (std::size_t k = 1; k < len; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
            return false;  // overlong
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
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

namespace {

// Node budget: YAML aliases can expand a small text into an exponential tree ("billion laughs").
constexpr std::size_t kMaxNodes = 1'000'000;

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

struct Converter
{
    const std::string & origin;
    std::size_t nodes = 0;

    json convert(const YAML::Node & node, std::size_t depth)
    {
        if (depth > kMaxDocumentDepth)
            throw Error(origin + ": nested deeper than " + std::to_string(kMaxDocumentDepth) + " levels");
        if (++nodes > kMaxNodes)
            throw Error(origin + ": expands to more than " + std::to_string(kMaxNodes) + " nodes (aliases?)");
        switch (node.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null:
            return nullptr;
        case YAML::NodeType::Scalar: {
            const std::string & s = node.Scalar();
            if (node.Tag() == "?") {  // a plain scalar: resolve like PyYAML's safe_load
                if (isYamlNull(s)) return nullptr;
                if (auto b = yamlBool(s)) return *b;
            }
            return s;
        }
        case YAML::NodeType::Sequence: {
            json out = json::array();
            for (const auto & item : node)
                out.push_back(convert(item, depth + 1));
            return out;
        }
        case YAML::NodeType::Map: {
            json out = json::object();
            for (const auto & kv : node) {
                if (!kv.first.IsScalar())
                    throw Error(origin + ": a mapping key is not a scalar");
                out[kv.first.Scalar()] = convert(kv.second, depth + 1);
            }
            return out;
        }
        }
        return nullptr;
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
    if (yamlNestingBound(text) > 4 * kMaxDocumentDepth)
        throw Error(origin + ": nested too deeply (more than " + std::to_string(kMaxDocumentDepth) + " levels)");
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception & e) {
        throw Error(origin + ": invalid YAML at line " + std::to_string(e.mark.line + 1) + ", column " +
                    std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    Converter conv{origin};
    try {
        return conv.convert(root, 0);
    } catch (const YAML::Exception & e) {
        throw Error(origin + ": invalid YAML: " + e.msg);
    }
}

json parseJson(std::string_view text, const std::string & origin)
{
    checkText(text, origin);
    auto limitDepth = [&](int depth, json::parse_event_t, json &) {
        if (depth > static_cast<int>(kMaxDocumentDepth))
            throw Error(origin + ": nested deeper than " + std::to_string(kMaxDocumentDepth) + " levels");
        return true;
    };
    try {
        return json::parse(text.begin(), text.end(), limitDepth);
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
