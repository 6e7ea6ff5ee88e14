#!/usr/bin/env python3
"""The NixOS tier: imprint's module and rendered overlays evaluated on the real nixpkgs tree.

  run.py [SOURCE_DIR]
  run.py --measure-offline [SOURCE_DIR]   only offline.py: the derivations each identity change
                                          rebuilds (a measurement for the README, not a check)

Prepares (or reuses) the cached trixie chroot with Nix 2.26 and the unpacked tree (chroot.py),
then runs
  0. tests/nix/run-checks.py differential and module with the tree's lib (the stub lib's
     verdicts checked against nixpkgs; host Nix, outside the chroot);
and, inside the chroot:
  1. checks.nix: every image variant with the module, every rendered overlay on every image,
     the administrator's choices and stale overlays; ONE nix-instantiate process (nixpkgs is
     imported once), a list of {name, ok, got, want};
  2. rebuild-modes.py: the three rebuild modes as the rebuild evaluates them, and every argv
     imprint builds through nixos-rebuild-ng's own parse_args (Python 3.13).
Exits 1 if any check fails. When the evaluation of checks.nix stops on an error that tryEval
cannot catch, each group is evaluated on its own so the report names the group.
"""

import json
import os
import pathlib
import subprocess
import sys
import time

here = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(here))
import chroot  # noqa: E402
from harness import Failure, log  # noqa: E402  (tests/system/harness.py, via chroot's path)

GROUPS = ["images", "overlays", "admin"]
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "NIX_PATH": "", "LANG": "C.UTF-8"}


def nixEval(directory, repo, group=None):
    argv = ["nix-instantiate", "--eval", "--strict", "--json", str(here / "checks.nix"),
            "--argstr", "nixpkgs", chroot.NIXPKGS_INSIDE, "--argstr", "repo", str(repo)]
    if group:
        argv += ["--argstr", "group", group]
    return chroot.inside(directory, repo, argv, env=ENV, timeout=1800)


def report(results):
    failed = [c for c in results if not c["ok"]]
    for c in results:
        print(("ok   " if c["ok"] else "FAIL ") + c["name"])
        if not c["ok"]:
            print("     got  " + json.dumps(c["got"], sort_keys=True)[:2000])
            print("     want " + json.dumps(c["want"], sort_keys=True)[:2000])
    print(f"{len(results) - len(failed)}/{len(results)} NixOS checks pass on the real nixpkgs tree")
    return len(failed)


def lastError(stderr):
    lines = [l for l in stderr.splitlines() if l.strip()]
    errors = [i for i, l in enumerate(lines) if l.lstrip().startswith("error:")]
    return "\n".join(lines[errors[-1]:][:20]) if errors else "\n".join(lines[-20:])


def main():
    argv = sys.argv[1:]
    measure = "--measure-offline" in argv
    argv = [a for a in argv if a != "--measure-offline"]
    repo = pathlib.Path(argv[0] if argv else here.parent.parent).resolve()
    try:
        started = time.monotonic()
        directory = chroot.ensure(repo)
        log(f"nixos tier: chroot ready after {time.monotonic() - started:.0f} s")
    except Failure as e:
        print(f"FAILED: the NixOS tier cannot run: {e}", file=sys.stderr)
        return 1

    if measure:
        r = chroot.inside(directory, repo, ["python3", str(here / "offline.py"), str(repo), chroot.NIXPKGS_INSIDE],
                          env=ENV, timeout=1800, network=False)
        print(r.stdout + r.stderr[-3000:], end="")
        return r.returncode

    status = 0
    # The stub lib of tests/nix against this tree's lib: the differential that ctest skips
    # without IMPRINT_NIXPKGS_LIB, and the stub's module checks with the real lib (host Nix).
    realLib = directory / "rootfs" / chroot.NIXPKGS_INSIDE.lstrip("/") / "lib"
    for check in ["differential", "module"]:
        r = subprocess.run([sys.executable, str(repo / "tests/nix/run-checks.py"), check, str(repo)],
                           env=dict(os.environ, IMPRINT_NIXPKGS_LIB=str(realLib)), capture_output=True, text=True)
        lines = r.stdout.strip().splitlines()
        print(f"{'ok  ' if r.returncode == 0 else 'FAIL'} tests/nix {check} with the tree's lib: "
              f"{lines[-1] if lines else r.stderr.strip()[-500:]}")
        if r.returncode != 0:
            print(r.stdout[-4000:] + r.stderr[-2000:])
            status = 1

    started = time.monotonic()
    r = nixEval(directory, repo)
    log(f"nixos tier: checks.nix evaluated in {time.monotonic() - started:.0f} s")
    if r.returncode == 0:
        status |= 1 if report(json.loads(r.stdout)) else 0
    else:
        print("checks.nix stopped on an error tryEval cannot catch:\n" + lastError(r.stderr))
        status = 1
        for group in GROUPS:
            g = nixEval(directory, repo, group)
            if g.returncode == 0:
                report(json.loads(g.stdout))
            else:
                print(f"FAIL group {group}:\n{lastError(g.stderr)}")

    started = time.monotonic()
    modes = chroot.inside(directory, repo, ["python3", str(here / "rebuild-modes.py"), str(repo),
                                            chroot.NIXPKGS_INSIDE, chroot.TARBALL_INSIDE], env=ENV, timeout=1800,
                          network=False)
    print(modes.stdout, end="")
    if modes.returncode != 0:
        print(modes.stderr[-4000:], end="")
        status = 1
    log(f"nixos tier: rebuild modes and nixos-rebuild-ng argv in {time.monotonic() - started:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
