#!/usr/bin/env python3
"""Nix checks that need no nixpkgs, for CTest (tests/nix/CMakeLists.txt).

  run-checks.py parse SOURCE_DIR   every .nix file of the repository parses
  run-checks.py module SOURCE_DIR  checks.nix: the module's options, the rendered settings, and
                                   overlays merged into an image under nixpkgs' priority rules,
                                   evaluated against the stub lib (stub/lib.nix), and
                                   also against $IMPRINT_NIXPKGS_LIB when it is set
  run-checks.py differential SOURCE_DIR
                                   differential.nix evaluated with the stub lib and with the real
                                   nixpkgs lib at $IMPRINT_NIXPKGS_LIB (a directory holding
                                   nixpkgs' lib/default.nix, e.g. <nixpkgs>/lib); every case must
                                   give the same value, or fail in both

Exit 77 (CTest's skip code) when nix-instantiate is missing, or for `differential` when
IMPRINT_NIXPKGS_LIB is unset, saying so.
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
    libs = [None]
    real = os.environ.get("IMPRINT_NIXPKGS_LIB")
    if real:
        libs.append(os.path.abspath(real))
    else:
        print("note: IMPRINT_NIXPKGS_LIB is unset: these checks run against the stub lib only")
    status = 0
    for lib in libs:
        status |= module_with(exe, root, lib)
    return status


def module_with(exe, root, lib):
    here = os.path.join(root, "tests", "nix")
    label = "the stub lib" if lib is None else lib
    extra = [] if lib is None else ["--arg", "nixpkgsLib", nix_lib_expr(lib)]
    with tempfile.TemporaryDirectory(prefix="imprint-nix-") as tmp:
        overlay = os.path.join(tmp, "host.nix")
        shutil.copy(os.path.join(here, "fixtures", "host.nix"), overlay)
        r = subprocess.run(
            [exe, "--store", "dummy://", "--eval", "--strict", "--json",
             os.path.join(here, "checks.nix"), "--arg", "classicOverlayFile", json.dumps(overlay)] + extra,
            capture_output=True, text=True, env=dict(os.environ, NIX_PATH=""))
    if r.returncode != 0:
        print(f"checks.nix did not evaluate with {label}:\n{r.stderr}")
        return 1
    results = json.loads(r.stdout)
    failed = [c for c in results if not c["ok"]]
    for c in results:
        print(("ok   " if c["ok"] else "FAIL ") + c["name"])
        if not c["ok"]:
            print("     got  " + json.dumps(c["got"], sort_keys=True))
            print("     want " + json.dumps(c["want"], sort_keys=True))
    print(f"{len(results) - len(failed)}/{len(results)} module checks pass with {label}")
    return 1 if failed else 0


def nix_lib_expr(path):
    """A Nix expression importing the lib at `path` (absolute, as a Nix string literal)."""
    if "${" in path:
        raise SystemExit(f"cannot quote {path!r} for Nix")
    return "import " + json.dumps(os.path.abspath(path))


def eval_json(exe, expr):
    r = subprocess.run([exe, "--store", "dummy://", "--eval", "--strict", "--json", "-E", expr],
                       capture_output=True, text=True, env=dict(os.environ, NIX_PATH=""))
    if r.returncode != 0:
        return None, r.stderr.strip()
    return json.loads(r.stdout), None


def eval_cases(exe, cases_file, lib_path):
    """{case: {"value": v} | "error" | {"uncatchable": message}} for one lib."""
    cases = f"(import {json.dumps(cases_file)} {{ lib = {nix_lib_expr(lib_path)}; }})"
    results, err = eval_json(exe, cases)
    if results is not None:
        return results
    # An error tryEval cannot catch (infinite recursion, a missing attribute) stops the whole
    # evaluation: evaluate the cases one by one to say which.
    names, names_err = eval_json(exe, f"builtins.attrNames {cases}")
    if names is None:
        raise SystemExit(f"{cases_file} did not evaluate with {lib_path}:\n{err}\n{names_err}")
    out = {}
    for name in names:
        value, case_err = eval_json(exe, f"{cases}.${{{json.dumps(name)}}}")
        if value is None:
            lines = [l.strip() for l in case_err.splitlines() if l.strip().startswith("error:")]
            value = {"uncatchable": lines[-1] if lines else case_err}
        out[name] = value
    return out


def differential(root):
    exe = nix_instantiate()
    real = os.environ.get("IMPRINT_NIXPKGS_LIB")
    if not real:
        print("SKIPPED: nix-differential compares the stub lib with a real nixpkgs lib and needs "
              "IMPRINT_NIXPKGS_LIB=<a nixpkgs checkout>/lib (or an unpacked nixpkgs.lib); it is "
              "unset, so the stub's verdicts in nix-module are NOT checked against nixpkgs here",
              file=sys.stderr)
        return SKIP
    if not os.path.isfile(os.path.join(real, "default.nix")):
        print(f"IMPRINT_NIXPKGS_LIB={real} has no default.nix: not a nixpkgs lib directory")
        return 1
    here = os.path.join(root, "tests", "nix")
    cases_file = os.path.join(here, "differential.nix")
    stub_results = eval_cases(exe, cases_file, os.path.join(here, "stub", "lib.nix"))
    real_results = eval_cases(exe, cases_file, real)
    differ = 0
    for name in sorted(set(stub_results) | set(real_results)):
        s, r = stub_results.get(name, "missing"), real_results.get(name, "missing")
        shown = "error" if r == "error" else json.dumps(r.get("value", r), sort_keys=True)
        if s == r and not (isinstance(r, dict) and "uncatchable" in r):
            print(f"ok   {name}: {shown[:160]}")
            continue
        differ += 1
        print(f"DIFF {name}")
        print("     stub " + json.dumps(s, sort_keys=True))
        print("     real " + json.dumps(r, sort_keys=True))
    total = len(set(stub_results) | set(real_results))
    print(f"{total - differ}/{total} cases agree between the stub lib and {real}")
    return 1 if differ else 0


def main():
    commands = {"parse": parse, "module": module, "differential": differential}
    if len(sys.argv) != 3 or sys.argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[sys.argv[1]](os.path.abspath(sys.argv[2]))


if __name__ == "__main__":
    sys.exit(main())
