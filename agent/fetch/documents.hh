#pragma once
// Structured documents from outside the machine (meta-data, user-data, config, JSON answers of
// metadata servers) become nlohmann::json trees here and only here, with the same guards for
// every source: valid UTF-8, no NUL byte, a depth cap and a node budget enforced while the
// parser produces nodes (yaml-cpp's events, nlohmann's SAX), so its recursion stops at the cap
// and nothing is built past the budget, and a memory budget for what yaml-cpp holds itself.

#include <nlohmann/json.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace imprint {

inline constexpr std::size_t kMaxDocumentDepth = 64;

// What parsing one YAML document may hold in memory, yaml-cpp's tokens and the tree together
// (agent/system/memory-budget.hh says why a budget and not an input check).
inline constexpr std::size_t kMaxYamlParseMemory = 128u << 20;

// Throws Error("<origin>: ...") unless `data` is valid UTF-8 without NUL bytes.
void checkText(std::string_view data, const std::string & origin);

// True when `data` is well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
bool isValidUtf8(std::string_view data);

// The length of the well-formed UTF-8 sequence that starts at s[i] (1 for ASCII), or 0.
std::size_t utf8SequenceLength(std::string_view s, std::size_t i);

// A scalar as yaml-cpp 0.7 unescaped it, in UTF-8: yaml-cpp turns the double-quoted escapes \N
// (U+0085) and \_ (U+00A0) into the code point's one Latin-1 byte instead of its UTF-8.
// Everything else in a scalar is valid UTF-8 (parseYaml checks the text whole, and yaml-cpp
// encodes \x, \u and \U properly), so a lone 0x85 or 0xA0 where a character starts is one of
// these two escapes and becomes the character it names. Anything else invalid throws Error.
std::string utf8FromYamlCpp(const std::string & value, const std::string & origin);

// Parses YAML (1.1 scalars as PyYAML reads them: yes/no/on/off/true/false are booleans, ~ and
// null are null; every other plain scalar stays a string) into JSON. Empty document -> null.
nlohmann::json parseYaml(std::string_view text, const std::string & origin);

// Parses JSON with the same caps.
nlohmann::json parseJson(std::string_view text, const std::string & origin);

// JSON when the text starts with '{' or '[' (KubeVirt writes meta-data as JSON), YAML otherwise.
nlohmann::json parseYamlOrJson(std::string_view text, const std::string & origin);

// A scalar as text: strings as they are, numbers and booleans in their usual spelling;
// nullopt for null, arrays and objects.
std::optional<std::string> scalarText(const nlohmann::json & value);

// Interprets a YAML/JSON value as a boolean the way cloud-init does (true/false, "true"/"yes"/"on"...).
std::optional<bool> boolValue(const nlohmann::json & value);

} // namespace imprint
