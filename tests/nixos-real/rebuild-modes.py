#!/usr/bin/env python3
"""Inside the trixie chroot (Python 3.13, Nix 2.26), without a network: the rebuild as imprint
runs it, on the real nixpkgs tree.

  rebuild-modes.py REPO NIXPKGS TARBALL

1. nixos-rebuild-ng's own parse_args (from the tree) accepts every argv imprint builds
   (tests/fixtures/golden/rebuild-argv.json, written by tests/unit/config.cc from the real
   rebuildArgv) and reads from it the action, flake and options imprint meant.
2. The three rebuild modes, each evaluated the way nixos-rebuild evaluates it, down to
   toplevel.drvPath, with the golden overlay for this machine:
   classic  NIX_PATH + /etc/nixos/configuration.nix importing the module, which imports
            /var/lib/imprint/host.nix;
   wrapper  the wrapper flake imprint writes (golden wrapper-flake.nix) over the repository's
            own flake (nixosConfigurations.generic, the README's image), pure evaluation, the
            base and its inputs locked and present only in the store: the sources they were
            locked from are gone (empty tmpfs over the nixpkgs tree and its tarball, the staged
            flakes deleted) and there is no network;
   flake    a user's own flake importing the module and the overlay.
Prints ok/FAIL lines; exits 1 on any failure.
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

repo = pathlib.Path(sys.argv[1])
tree = pathlib.Path(sys.argv[2])
tarball = pathlib.Path(sys.argv[3])
here = repo / "tests/nixos-real"
golden = repo / "tests/fixtures/golden"
work = pathlib.Path("/tmp/rebuild-modes")
failures = 0

WANT_HOST = "web-1"
# What each evaluation reports: the same for every mode.
REPORT = ("c: { drv = c.config.system.build.toplevel.drvPath; host = c.config.networking.hostName;"
          " warnings = builtins.filter (w: builtins.match \".*imprint.*\" w != null) c.config.warnings;"
          " failed = map (a: a.message) (builtins.filter (a: !a.assertion) c.config.assertions); }")


def result(name, ok, detail=""):
    global failures
    failures += 0 if ok else 1
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else "\n     " + detail[-3000:]))


def nix(argv, env=None):
    started = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, env=env or os.environ)
    print(f"     ({time.monotonic() - started:.0f} s: {' '.join(argv[:3])} {argv[3] if len(argv) > 3 else ''})", flush=True)
    return r


def checkSystem(mode, r):
    if r.returncode != 0:
        result(f"{mode}: evaluates", False, r.stderr)
        return
    v = json.loads(r.stdout)
    result(f"{mode}: toplevel instantiates", re.fullmatch(r"/nix/store/[a-z0-9]{32}-nixos-system-.*\.drv", v["drv"]) is not None, v["drv"])
    result(f"{mode}: the overlay's host name", v["host"] == WANT_HOST, repr(v["host"]))
    result(f"{mode}: no warning from imprint, no failed assertion", v["warnings"] == [] and v["failed"] == [],
           json.dumps(v))


def argvChecks():
    sys.path.insert(0, str(tree / "pkgs/by-name/ni/nixos-rebuild-ng/src"))
    import nixos_rebuild
    cases = json.loads((golden / "rebuild-argv.json").read_text())
    for case in cases:
        argv = case["argv"]
        name = f"nixos-rebuild-ng parse_args accepts {case['mode']}: {' '.join(argv[1:])}"
        try:
            args, grouped = nixos_rebuild.parse_args(argv)
        except SystemExit as e:
            result(name, False, f"argparse exited {e.code}")
            continue
        want_flake = argv[argv.index("--flake") + 1] if "--flake" in argv else None
        options = [argv[i + 1:i + 3] for i, a in enumerate(argv) if a == "--option"]
        got_options = [list(o) for o in (args.option or [])]
        ok = args.action == argv[1] and (want_flake is None or args.flake == want_flake) and got_options == options
        result(name, ok, f"action={args.action} flake={getattr(args, 'flake', None)} option={args.option}")


def stageRepo():
    """The repository's sources (no build directories, no .git) where flakes can copy them."""
    dest = work / "imprint"
    shutil.copytree(repo, dest, ignore=shutil.ignore_patterns("build*", ".git", "result*"))
    return dest


def classic():
    var = pathlib.Path("/var/lib/imprint")
    var.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(var)], check=True)
    shutil.copy(golden / "full.nix", var / "host.nix")
    env = dict(os.environ, NIX_PATH=":".join([
        f"nixpkgs={tree}", f"nixos-config={here}/flakes/classic/configuration.nix", f"imprint={repo}"]))
    r = nix(["nix-instantiate", "--eval", "--strict", "--json", "--expr",
             f"({REPORT}) (import <nixpkgs/nixos> {{ }})"], env)
    checkSystem("classic (NIX_PATH, configuration.nix, /var/lib/imprint/host.nix)", r)


def lock(flakeRef, overrides):
    argv = ["nix", "flake", "lock", flakeRef]
    for name, url in overrides:
        argv += ["--override-input", name, url]
    r = nix(argv)
    if r.returncode != 0:
        raise RuntimeError(f"nix flake lock {flakeRef}: {r.stderr[-2000:]}")


def flakes(imprintSrc):
    nixpkgsFlake = work / "nixpkgs-for-this-tree"
    shutil.copytree(here / "flakes/nixpkgs-for-this-tree", nixpkgsFlake)
    lock(f"path:{nixpkgsFlake}", [("nixpkgs", f"tarball+file://{tarball}")])
    overrideNixpkgs = ("nixpkgs", f"path:{nixpkgsFlake}")

    # flake mode: the user's own flake.
    user = work / "user"
    shutil.copytree(here / "flakes/user", user)
    shutil.copy(here / "images/nixos-generators-qcow.nix", user / "image.nix")
    shutil.copy(golden / "full.nix", user / "host.nix")
    lock(f"path:{user}", [overrideNixpkgs, ("imprint", f"path:{imprintSrc}")])
    r = nix(["nix", "eval", "--json", "--option", "substitute", "false",
             f"path:{user}#nixosConfigurations.generic", "--apply", REPORT])
    checkSystem("flake (the user's own flake imports module and overlay)", r)

    # wrapper mode, over two image flakes with rebuild.flake.base = self: the repository's own
    # (nixosConfigurations.generic) and examples/nixos (the README's, whose imprint input is the
    # relative path:../..). Locked; the base the module renders into imprint.yaml is what
    # imprint writes into the wrapper.
    wrappers = []
    for name, ref in [("the repository's flake", f"path:{imprintSrc}"),
                      ("examples/nixos", f"path:{imprintSrc}?dir=examples/nixos")]:
        lock(ref, [overrideNixpkgs])
        r = nix(["nix", "eval", "--raw", f"{ref}#nixosConfigurations.generic.config.services.imprint.settings.rebuild.base"])
        base = r.stdout.strip()
        if r.returncode != 0 or not re.fullmatch(r"path:/nix/store/[a-z0-9]{32}-source(\?dir=[A-Za-z0-9/._-]+)?", base):
            raise RuntimeError(f"{name}: unexpected rebuild.base {base!r}: {r.stderr[-2000:]}")
        wrapper = work / f"wrapper-{len(wrappers)}"
        wrapper.mkdir()
        text = (golden / "wrapper-flake.nix").read_text()
        placeholder = '"path:/nix/store/00000000000000000000000000000000-source"'
        if text.count(placeholder) != 1:
            raise RuntimeError("the golden wrapper flake has no single placeholder base")
        (wrapper / "flake.nix").write_text(text.replace(placeholder, json.dumps(base)))
        shutil.copy(golden / "full.nix", wrapper / "host.nix")
        wrappers.append((name, wrapper))
    # Only the store has them now: the staged sources go, the tree and its tarball are hidden.
    shutil.rmtree(imprintSrc)
    shutil.rmtree(nixpkgsFlake)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(tree)], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(tarball.parent)], check=True)
    for name, wrapper in wrappers:
        for attr in ["generic", WANT_HOST]:
            r = nix(["nix", "eval", "--json", "--option", "substitute", "false",
                     f"path:{wrapper}#nixosConfigurations.{attr}", "--apply", REPORT])
            checkSystem(f"wrapper over {name} (pure, inputs only in the store, no network): "
                        f"nixosConfigurations.{attr}", r)


def main():
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    argvChecks()
    classic()
    try:
        flakes(stageRepo())
    except RuntimeError as e:
        result("flake modes: set-up", False, str(e))
    print(f"rebuild modes: {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
