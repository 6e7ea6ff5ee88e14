#pragma once
// An independent reading of the overlay text for the fuzzers: a strict tokenizer of the Nix
// subset the renderer may produce, and the token stream the renderer is meant to produce for an
// instance. A string token compares by its decoded value, so the check proves both "the text
// means exactly these strings" and "no input adds an attribute or expression of its own".

#include "agent/normalize/instance.hh"
#include "agent/render/render.hh"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imprint::fuzz {

struct Token
{
    enum Kind { Ident, String, Number, Punct, Comment, AttrName } kind;
    std::string text;  // decoded value for String; for AttrName: the name (Ident or String may match)
};

// Decodes the Nix string literal starting at text[pos] (a '"'), accepting only what Nix's lexer
// reads as a plain string plus the one interpolation nixString writes
// (${builtins.fromJSON "\"\\u00XX\""}). nullopt when the literal is anything else.
std::optional<std::string> decodeNixString(std::string_view text, std::size_t & pos);

// Throws std::runtime_error on any byte sequence outside the expected subset.
std::vector<Token> tokenize(std::string_view text);

std::vector<Token> expectedTokens(const InstanceData & in, const RenderOptions & options);

// Aborts (a fuzzer crash) with a description when `overlay` is not the expected token stream.
void checkOverlay(std::string_view overlay, const InstanceData & in, const RenderOptions & options);

// Aborts unless nixString(s) decodes back to s (and nixAttrName(s) to an identifier or s).
void checkStringRoundTrip(std::string_view s);

} // namespace imprint::fuzz
