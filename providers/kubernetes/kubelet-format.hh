#pragma once
// kubelet's downward-API map format, the text of the `labels` and `annotations` files: one
// `key="value"` line per entry, the value quoted by Go's %q (strconv.Quote), keys sorted by
// current kubelets (older ones did not sort), no newline after the last line. Parsers take text,
// not paths, so tests feed them fixtures in the real format.

#include <map>
#include <string>
#include <string_view>

namespace imprint {

// Decodes one Go double-quoted string literal exactly as Go's strconv.Unquote does: the escapes
// \a \b \f \n \r \t \v \\ \" \xNN \NNN (octal, at most \377) \uNNNN \UNNNNNNNN; \u and \U must name
// a Unicode scalar value (no surrogates, nothing past U+10FFFF). Like Go, \' is rejected (it is
// only valid in rune literals). Unlike Go, a raw newline, a raw control character or invalid
// UTF-8 between the quotes is an error too: %q never writes them, so they mean corruption.
// `quoted` includes the surrounding quotes. Throws Error with a message that never contains the
// value (annotations may be sensitive).
std::string unquoteGoString(std::string_view quoted);

// Parses a whole `labels`/`annotations` file. Keys must be Kubernetes qualified names
// ([DNS-subdomain-prefix/]name) and may come in any order; a repeated key, an empty line in the
// middle, a missing or malformed value are errors "<origin>:<line>: <reason>". One trailing
// newline is tolerated (a hand-written file); an empty text is an empty map.
std::map<std::string, std::string> parseKubeletMap(std::string_view text, const std::string & origin);

// True for a Kubernetes qualified name: an optional prefix (a DNS subdomain of at most 253
// characters) and '/', then a name of 1 to 63 characters [A-Za-z0-9][-A-Za-z0-9_.]* ending
// alphanumeric.
bool isKubernetesQualifiedName(std::string_view key);

} // namespace imprint
