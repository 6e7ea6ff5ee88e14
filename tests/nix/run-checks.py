#!/usr/bin/env python3
"""Nix checks that need no nixpkgs, for CTest (tests/nix/CMakeLists.txt).

  run-checks.py parse SOURCE_DIR   every .nix file of the repository parses
  run-checks.py module SOURCE_DIR  checks.nix: the module's options, the rendered settings, and
                                   overlays merged into an image under nixpkgs' priority rules,
                                   evaluated against the stub lib (stub/lib.nix)

Exit 77 (CTest's skip code) when nix-instantiate is missing, saying so.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def nix_instantiate():
    exe = shutil.which("nix-instantiate")
    if exe is None:
        print("SKIPPED: nix-instantiate is not installed (Debian: apt-get install nix-bin; "
              "scripts/install-deps.sh --tests installs it)", file=sys.stderr)
        sys.exit(SKIP)
    return exe


def nix_files(root):
    skip_dirs = {".git", "result", "node_modules"}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip_dirs and not d.startswith("build"))
        for name in sorted(filenames):
            if name.endswith(".nix"):
                yield os.path.join(dirpath, name)


def parse(root):
    exe = nix_instantiate()
    files = list(nix_files(root))
    failed = 0
    for f in files:
        r = subprocess.run([exe, "--parse", f], capture_output=True, text=True)
        if r.returncode != 0:
            failed += 1
            print(f"FAIL {os.path.relpath(f, root)}\n{r.stderr}")
        else:
            print(f"ok   {os.path.relpath(f, root)}")
    print(f"{len(files) - failed}/{len(files)} .nix files parse")
    if not files:
        print("no .nix file found: wrong SOURCE_DIR?")
        return 1
    return 1 if failed else 0


def module(root):
    exe = nix_instantiate()
    here = os.path.join(root, "tests", "nix")
    with tempfile.TemporaryDirectory(prefix="imprint-nix-") as tmp:
        overlay = os.path.join(tmp, "host.nix")
        shutil.copy(os.path.join(here, "fixtures", "host.nix"), overlay)
        r = subprocess.run(
            [exe, "--store", "dummy://", "--eval", "--strict", "--json",
             os.path.join(here, "checks.nix"), "--arg", "classicOverlayFile", json.dumps(overlay)],
            capture_output=True, text=True, env=dict(os.environ, NIX_PATH=""))
    if r.returncode != 0:
        print(f"checks.nix did not evaluate:\n{r.stderr}")
        return 1
    results = json.loads(r.stdout)
    failed = [c for c in results if not c["ok"]]
    for c in results:
        print(("ok   " if c["ok"] else "FAIL ") + c["name"])
        if not c["ok"]:
            print("     got  " + json.dumps(c["got"], sort_keys=True))
            print("     want " + json.dumps(c["want"], sort_keys=True))
    print(f"{len(results) - len(failed)}/{len(results)} module checks pass")
    return 1 if failed else 0


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("parse", "module"):
        print(__doc__, file=sys.stderr)
        return 2
    root = os.path.abspath(sys.argv[2])
    return parse(root) if sys.argv[1] == "parse" else module(root)


if __name__ == "__main__":
    sys.exit(main())
