"""The Debian mirror of this machine's apt sources, for the tests that debootstrap a guest
(tests/system) or a chroot (tests/nixos-real): the one mirror CI's machine reaches."""

import pathlib


def debianMirror(suites):
    """The first URI serving one of `suites` (deb822 files in sources.list.d first, then
    sources.list), never the security archive; Debian's own mirror when there is none."""
    for src in sorted(pathlib.Path("/etc/apt/sources.list.d").glob("*.sources")):
        uris, found = None, None
        for line in src.read_text().splitlines() + [""]:
            if line.startswith("URIs:"):
                uris = line.split()[1:]
            elif line.startswith("Suites:"):
                found = line.split()[1:]
            elif not line.strip() and uris and found:
                if any(s in suites for s in found) and "security" not in uris[0]:
                    return uris[0]
                uris, found = None, None
    lst = pathlib.Path("/etc/apt/sources.list")
    if lst.exists():
        for line in lst.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and parts[2] in suites:
                return parts[1]
    return "http://deb.debian.org/debian"
