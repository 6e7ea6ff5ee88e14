#pragma once
// InstanceData -> the overlay module text: the only place where Nix syntax is produced.
// Output is deterministic: the same instance and options give the same bytes.

#include "agent/instance.hh"

#include <string>
#include <string_view>

namespace imprint {

struct RenderOptions
{
    int priority = 90;               // lib.mkOverride N for every scalar option the overlay sets
    std::string sshUser = "root";    // who gets InstanceData::sshAuthorizedKeys
};

// THE escaping function: any byte string -> a Nix expression that evaluates to exactly that
// string. Escapes `\`, `"`, `$`, and \n \r \t; other control characters (which a Nix string
// literal cannot spell) are produced through builtins.fromJSON inside an interpolation. A NUL
// byte cannot exist in a Nix string and is rejected with an Error.
std::string nixString(std::string_view s);

// An attribute name: bare when it is a plain identifier that is not a keyword, otherwise the
// quoted string from nixString.
std::string nixAttrName(std::string_view name);

std::string renderOverlay(const InstanceData & instance, const RenderOptions & options);

} // namespace imprint
