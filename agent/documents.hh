#pragma once
// Structured documents from outside the machine (meta-data, user-data, config, JSON answers of
// metadata servers) become nlohmann::json trees here and only here, with the same guards for
// every source: valid UTF-8, no NUL byte, a nesting-depth cap that is checked *before* yaml-cpp
// sees the text (its recursive-descent parser overflows the stack on deep nesting), and a depth
// cap on the resulting tree (nlohmann's dump and copy recurse too).

#include <nlohmann/json.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace imprint {

inline constexpr std::size_t kMaxDocumentDepth = 64;

// Throws Error("<origin>: ...") unless `data` is valid UTF-8 without NUL bytes.
void checkText(std::string_view data, const std::string & origin);

// True when `data` is well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
bool isValidUtf8(std::string_view data);

// An upper bound of the nesting depth of a YAML text (flow brackets, block indentation, compact
// "- - x" sequences), computed without recursion. Exposed for tests and the fuzzers.
std::size_t yamlNestingBound(std::string_view text);

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
