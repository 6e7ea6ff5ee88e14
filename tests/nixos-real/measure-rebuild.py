#!/usr/bin/env python3
"""What the rebuild a copy runs costs to evaluate, on the real nixpkgs tree (a measurement for
bench/results/rebuild-eval.md, not a check; not run by CI).

  python3 tests/nixos-real/measure-rebuild.py [SOURCE_DIR] [--runs N]

Reuses the NixOS tier's cached trixie chroot (chroot.py: Nix 2.26, the 26.11 tree), and inside
it, without a network, evaluates one image, the README's (examples/nixos/image.nix: qcow2 via
disk-image.nix, sshd, imprint with offline = true and buildDependencies = "host-change"), in
these shapes, each down to `config.system.build.toplevel.drvPath` with rebuild-modes.py's REPORT
expression (drvPath, host name, imprint's warnings, failed assertions):

  flake evaluation (`nix eval --json REF#nixosConfigurations.ATTR --apply REPORT`,
  `--option substitute false --option eval-cache false`):
    a     plain           the image WITHOUT imprint's module (a stub option swallows its
                          services.imprint settings): what any NixOS user pays
    a2    disabled        the module imported, services.imprint.enable = false
    b     golden          the repository's flake, nixosConfigurations.generic (module enabled,
                          rebuild.flake.base = self): the golden image, no overlay
    c     wrapper         the rebuild after a host-name change in the default mode: the wrapper
                          flake imprint writes (golden wrapper-flake.nix, base = the golden
                          image's store path) with the overlay (golden full.nix: host web-1,
                          root device, keys, time zone); flake.lock deleted before each run,
                          as imprint deletes it when it rewrites flake.nix
    c     flake           a user's own flake importing the module, the image and the overlay
  classic evaluation (`nix-instantiate --eval --strict --json` of `import <nixpkgs/nixos> {}`,
  NIX_PATH, /etc/nixos/configuration.nix importing the image):
    a     classic-plain   without the module
    b     classic-golden  with the module, no /var/lib/imprint/host.nix
    c     classic         with the module and the overlay in /var/lib/imprint/host.nix

Each evaluation is a fresh process, N times (default 3) round-robin; wall time and maximum RSS
come from wait4(2) on the Nix process, Nix's own figures (cpuTime, nrThunks, GC heap) from
NIX_SHOW_STATS_PATH. Every configuration also carries a probe (in the staged copy of
tests/nixos-real/flakes/nixpkgs-for-this-tree, which every nixosSystem here goes through): a
NixOS module whose function traces once per module-system evaluation and a nixpkgs overlay
(the tree's workaround) that traces once per package-set fixpoint (nixpkgs applies overlays to
each stdenv bootstrap stage too: one `import nixpkgs` of this tree makes 8), so the table says
whether an evaluation evaluated the configuration twice (2 instead of 1) or imported nixpkgs
again (more fixpoints than the plain image). Prints a Markdown table and the differences to the baseline of the same
evaluation kind.
"""

import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

here = pathlib.Path(__file__).resolve().parent

# rebuild-modes.py's REPORT: what each evaluation returns (forcing toplevel also forces the
# assertions and warnings).
REPORT = ("c: { drv = c.config.system.build.toplevel.drvPath; host = c.config.networking.hostName;"
          " warnings = builtins.filter (w: builtins.match \".*imprint.*\" w != null) c.config.warnings;"
          " failed = map (a: a.message) (builtins.filter (a: !a.assertion) c.config.assertions); }")

PROBE_MODULE = """\
# measure-rebuild.py's probe: traces once per evaluation of the module system (this function is
# applied once per evalModules) and once per package-set fixpoint (the overlay, the tree's
# workaround, is applied to each: one `import nixpkgs` of this tree makes 8 on x86_64-linux, its
# stdenv bootstrap stages and the final set).
{ ... }:
builtins.trace "measure-rebuild: module-system evaluation" {
  nixpkgs.overlays = [
    (final: prev: builtins.trace "measure-rebuild: package-set fixpoint" ((import ./workaround.nix) final prev))
  ];
}
"""

NIXPKGS_FLAKE = """\
# measure-rebuild.py: the real tree as a flake, every nixosSystem with the probe (and, through
# it, the tree's workaround).
{
  inputs.nixpkgs.url = "path:/srv/nixpkgs";
  outputs =
    { self, nixpkgs }:
    {
      inherit (nixpkgs) legacyPackages;
      lib = nixpkgs.lib // {
        nixosSystem =
          args: nixpkgs.lib.nixosSystem (args // { modules = (args.modules or [ ]) ++ [ ./probe.nix ]; });
      };
    };
}
"""

STUB = """\
# measure-rebuild.py: no imprint module; this only swallows the image's services.imprint settings.
{ lib, ... }:
{
  options.services.imprint = lib.mkOption {
    type = lib.types.attrs;
    default = { };
  };
}
"""

# The measurement's own image flake: the README's image without the module, with it disabled,
# and in `flake` mode (the user's flake imports module and overlay).
IMAGES_FLAKE = """\
{
  inputs.nixpkgs.url = "path:/nonexistent";
  inputs.imprint.url = "path:/nonexistent";
  inputs.imprint.inputs.nixpkgs.follows = "nixpkgs";
  outputs =
    { self, nixpkgs, imprint }:
    let
      system = modules: nixpkgs.lib.nixosSystem { system = "x86_64-linux"; inherit modules; };
    in
    {
      nixosConfigurations = {
        plain = system [ ./stub.nix ./image.nix ];
        disabled = system [
          imprint.nixosModules.default
          ./image.nix
          ({ lib, ... }: { services.imprint.enable = lib.mkForce false; })
        ];
        # Where the module's share goes (as b, with the module's base = this repository):
        # without the imprint package (an empty directory in its place), and without the
        # build inputs carried for an offline rebuild.
        stubpackage = system [
          imprint.nixosModules.default
          ./image.nix
          ({ pkgs, ... }: {
            services.imprint.rebuild.flake.base = imprint;
            services.imprint.package = pkgs.emptyDirectory;
          })
        ];
        nobuilddeps = system [
          imprint.nixosModules.default
          ./image.nix
          ({ lib, ... }: {
            services.imprint.rebuild.flake.base = imprint;
            services.imprint.rebuild.buildDependencies = lib.mkForce "none";
          })
        ];
        flake = system [
          imprint.nixosModules.default
          ./image.nix
          ./host.nix
          {
            services.imprint.overlay.path = "/etc/nixos/host.nix";
            services.imprint.rebuild.flake.ref = "path:/etc/nixos";
          }
        ];
      };
    };
}
"""

CLASSIC_CONFIGURATION = """\
# measure-rebuild.py, classic: /etc/nixos/configuration.nix of the README's image.
{ ... }:
{
  imports = [
    %(probe)s
    %(imprint)s
    %(image)s
  ];
}
"""


def measured(argv, env, statsPath):
    """Runs argv; returns (wall s, max RSS KiB, stdout, stderr, Nix stats or None)."""
    if statsPath.exists():
        statsPath.unlink()
    env = dict(env, NIX_SHOW_STATS="1", NIX_SHOW_STATS_PATH=str(statsPath))
    out = open(statsPath.with_suffix(".out"), "w+")
    err = open(statsPath.with_suffix(".err"), "w+")
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    stdout, stderr = out.read(), err.read()
    stats = json.loads(statsPath.read_text()) if statsPath.exists() else None
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} exited {proc.returncode}: {stderr[-3000:]}")
    return wall, usage.ru_maxrss, stdout, stderr, stats


def inside(repo, tree, tarball, runs):
    golden = repo / "tests/fixtures/golden"
    work = pathlib.Path("/tmp/measure-rebuild")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "NIX_PATH": "", "LANG": "C.UTF-8"}

    def nix(argv, extraEnv=None):
        r = subprocess.run(argv, capture_output=True, text=True, env=dict(env, **(extraEnv or {})))
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: {r.stderr[-3000:]}")
        return r.stdout

    def log(msg):
        print(f"[measure {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    # Set-up (not measured): the probed nixpkgs flake, the repository's flake (the golden image),
    # the measurement's image flake, the wrapper, the classic configurations.
    log("set-up: staging and locking the flakes")
    nixpkgsFlake = work / "nixpkgs"
    nixpkgsFlake.mkdir()
    shutil.copy(here / "flakes/nixpkgs-for-this-tree/workaround.nix", nixpkgsFlake)
    (nixpkgsFlake / "probe.nix").write_text(PROBE_MODULE)
    (nixpkgsFlake / "flake.nix").write_text(NIXPKGS_FLAKE)
    nix(["nix", "flake", "lock", f"path:{nixpkgsFlake}", "--override-input", "nixpkgs", f"tarball+file://{tarball}"])
    overrideNixpkgs = ["--override-input", "nixpkgs", f"path:{nixpkgsFlake}"]

    src = work / "imprint"
    shutil.copytree(repo, src, ignore=shutil.ignore_patterns("build*", ".git", "result*"))
    nix(["nix", "flake", "lock", f"path:{src}", *overrideNixpkgs])
    base = nix(["nix", "eval", "--raw", f"path:{src}#nixosConfigurations.generic.config.services.imprint.settings.rebuild.base"]).strip()
    if not base.startswith("path:/nix/store/"):
        raise RuntimeError(f"unexpected rebuild.base {base!r}")

    images = work / "images"
    images.mkdir()
    (images / "flake.nix").write_text(IMAGES_FLAKE)
    (images / "stub.nix").write_text(STUB)
    shutil.copy(repo / "examples/nixos/image.nix", images / "image.nix")
    shutil.copy(golden / "full.nix", images / "host.nix")
    nix(["nix", "flake", "lock", f"path:{images}", *overrideNixpkgs, "--override-input", "imprint", f"path:{src}"])

    wrapper = work / "wrapper"
    wrapper.mkdir()
    placeholder = '"path:/nix/store/00000000000000000000000000000000-source"'
    (wrapper / "flake.nix").write_text((golden / "wrapper-flake.nix").read_text().replace(placeholder, json.dumps(base)))
    shutil.copy(golden / "full.nix", wrapper / "host.nix")

    var = pathlib.Path("/var/lib/imprint")
    var.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(var)], check=True)
    classicDir = work / "classic"
    classicDir.mkdir()
    for name, imprint in [("plain", f"{images}/stub.nix"), ("golden", f"{repo}/nix-module/module.nix")]:
        (classicDir / f"{name}.nix").write_text(CLASSIC_CONFIGURATION % {
            "probe": f"{nixpkgsFlake}/probe.nix", "imprint": imprint, "image": f"{images}/image.nix"})
    # The tree's workaround, as probe.nix imports it, next to it; the classic path reads the
    # unpacked tree (<nixpkgs>), the flakes the tarball's copy in the store.

    flakeArgs = ["--option", "substitute", "false", "--option", "eval-cache", "false"]

    def flakeEval(ref, attr):
        return ["nix", "eval", "--json", *flakeArgs, f"{ref}#nixosConfigurations.{attr}", "--apply", REPORT]

    def classicEval(configuration):
        return (["nix-instantiate", "--eval", "--strict", "--json", "--option", "substitute", "false",
                 "--expr", f"({REPORT}) (import <nixpkgs/nixos> {{ }})"],
                {"NIX_PATH": f"nixpkgs={tree}:nixos-config={configuration}"})

    def beforeWrapper():
        (wrapper / "flake.lock").unlink(missing_ok=True)

    def overlayIn():
        shutil.copy(golden / "full.nix", var / "host.nix")

    def overlayOut():
        (var / "host.nix").unlink(missing_ok=True)

    # (key, kind, baseline key, description, argv, extra env, before each run)
    rows = [
        ("a", "flake", None, "plain: the image without imprint's module", flakeEval(f"path:{images}", "plain"), {}, overlayOut),
        ("a2", "flake", "a", "module imported, `enable = false`", flakeEval(f"path:{images}", "disabled"), {}, None),
        ("b", "flake", "a", "golden image: module enabled, no overlay", flakeEval(base, "generic"), {}, None),
        ("b-stubpkg", "flake", "b", "as b, the imprint package replaced by an empty directory",
         flakeEval(f"path:{images}", "stubpackage"), {}, None),
        ("b-nodeps", "flake", "b", "as b, `buildDependencies = \"none\"`", flakeEval(f"path:{images}", "nobuilddeps"), {}, None),
        ("c-wrapper", "flake", "a", "rebuild, wrapper mode (default): wrapper flake + overlay",
         flakeEval(f"path:{wrapper}", "generic"), {}, beforeWrapper),
        ("c-flake", "flake", "a", "rebuild, flake mode: own flake + module + overlay", flakeEval(f"path:{images}", "flake"), {}, None),
        ("a-classic", "classic", None, "classic, plain: without imprint's module", *classicEval(classicDir / "plain.nix"), overlayOut),
        ("b-classic", "classic", "a-classic", "classic, module enabled, no overlay", *classicEval(classicDir / "golden.nix"), overlayOut),
        ("c-classic", "classic", "a-classic", "rebuild, classic mode: module + /var/lib/imprint/host.nix",
         *classicEval(classicDir / "golden.nix"), overlayIn),
    ]

    results = {key: [] for key, *_ in rows}
    check = {}
    for i in range(runs):
        for key, kind, baseline, what, argv, extraEnv, before in rows:
            if before:
                before()
            wall, rss, stdout, stderr, stats = measured(argv, dict(env, **extraEnv), work / f"stats-{key}.json")
            probes = {"evaluations": stderr.count("measure-rebuild: module-system evaluation"),
                      "nixpkgs": stderr.count("measure-rebuild: package-set fixpoint")}
            results[key].append({"wall": wall, "rss": rss / 1024, "stats": stats, **probes})
            check[key] = json.loads(stdout)
            log(f"run {i + 1}/{runs} {key}: {wall:.1f} s, {rss / 1024:.0f} MiB, "
                f"{probes['evaluations']} evaluation(s), {probes['nixpkgs']} package-set fixpoints")
    overlayOut()

    # What each evaluation returned: the drvPath, the host name, no warning, no failed assertion.
    problems = []
    for key, v in check.items():
        if not v["drv"].endswith(".drv") or v["warnings"] or v["failed"]:
            problems.append(f"{key}: {json.dumps(v)}")
        if key.startswith("c-") and v["host"] != "web-1":
            problems.append(f"{key}: host {v['host']!r}, not the overlay's web-1")

    def med(key, f):
        return statistics.median(f(r) for r in results[key])

    def mn(key, f):
        return min(f(r) for r in results[key])

    def stat(r, *path):
        v = r["stats"]
        for p in path:
            v = (v or {}).get(p)
        return v

    nixVersion = nix(["nix", "--version"]).strip()
    libVersion = json.loads(nix(["nix-instantiate", "--eval", "--json", "--expr", f"(import {tree}/lib).version"]))
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    memTotal = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    print(f"Measured {time.strftime('%Y-%m-%d %H:%M')}; {os.cpu_count()} cores ({cpu}), "
          f"{memTotal / 1024 / 1024:.0f} GiB; {nixVersion}; nixpkgs {libVersion} (the tier's tree, "
          f"sha256 of the tarball in tests/nixos-real/chroot.py); load average {os.getloadavg()[0]:.1f} at the end; "
          f"{runs} runs of each, round-robin.\n")
    print("| row | evaluation | wall min / median (s) | max RSS min / median (MiB) | Nix cpuTime median (s) "
          "| thunks (M) | GC allocated (MiB) | module-system evaluations | package-set fixpoints |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key, kind, baseline, what, *_ in rows:
        r0 = results[key][-1]
        print(f"| {key} | {what} | {mn(key, lambda r: r['wall']):.1f} / {med(key, lambda r: r['wall']):.1f} "
              f"| {mn(key, lambda r: r['rss']):.0f} / {med(key, lambda r: r['rss']):.0f} "
              f"| {med(key, lambda r: stat(r, 'cpuTime') or 0):.1f} "
              f"| {(stat(r0, 'nrThunks') or 0) / 1e6:.1f} "
              f"| {(stat(r0, 'gc', 'totalBytes') or 0) / 2**20:.0f} "
              f"| {r0['evaluations']} | {r0['nixpkgs']} |")
    print("\nDifference to the baseline of the same kind (medians; the baseline named for each row):\n")
    print("| row | baseline | Δ wall (s) | Δ wall (% of baseline) | Δ max RSS (MiB) | Δ max RSS (%) | Δ thunks (%) | Δ GC allocated (MiB) |")
    print("|---|---|---|---|---|---|---|---|")
    for key, kind, baseline, what, *_ in rows:
        if not baseline:
            continue
        dw = med(key, lambda r: r["wall"]) - med(baseline, lambda r: r["wall"])
        dr = med(key, lambda r: r["rss"]) - med(baseline, lambda r: r["rss"])
        t, tb = stat(results[key][-1], "nrThunks") or 0, stat(results[baseline][-1], "nrThunks") or 1
        print(f"| {key} | {baseline} | {dw:+.1f} | {100 * dw / med(baseline, lambda r: r['wall']):+.0f}% "
              f"| {dr:+.0f} | {100 * dr / med(baseline, lambda r: r['rss']):+.0f}% | {100 * (t - tb) / tb:+.1f}% "
              f"| {((stat(results[key][-1], 'gc', 'totalBytes') or 0) - (stat(results[baseline][-1], 'gc', 'totalBytes') or 0)) / 2**20:+.0f} |")
    print("\nRaw: " + json.dumps({k: [{"wall": round(r["wall"], 2), "rss_mib": round(r["rss"]),
                                       "cpuTime": stat(r, "cpuTime"), "nrThunks": stat(r, "nrThunks"),
                                       "nrFunctionCalls": stat(r, "nrFunctionCalls"),
                                       "gcHeapMiB": round((stat(r, "gc", "heapSize") or 0) / 2**20),
                                       "gcTotalMiB": round((stat(r, "gc", "totalBytes") or 0) / 2**20)}
                                      for r in v] for k, v in results.items()}))
    if problems:
        print("\nUNEXPECTED results (the measurement evaluated something else than meant):\n" + "\n".join(problems))
        return 1
    return 0


def main():
    args = sys.argv[1:]
    if args and args[0] == "--inside":
        repo, tree, tarball, runs = pathlib.Path(args[1]), pathlib.Path(args[2]), pathlib.Path(args[3]), int(args[4])
        try:
            return inside(repo, tree, tarball, runs)
        except RuntimeError as e:
            print(f"FAILED: {e}", file=sys.stderr)
            return 1
    runs = 3
    if "--runs" in args:
        i = args.index("--runs")
        runs = int(args[i + 1])
        del args[i:i + 2]
    repo = pathlib.Path(args[0] if args else here.parent.parent).resolve()
    sys.path.insert(0, str(here))
    import chroot
    from harness import Failure

    try:
        directory = chroot.ensure(repo)
    except Failure as e:
        print(f"FAILED: the NixOS tier's chroot is not available: {e}", file=sys.stderr)
        return 1
    r = chroot.inside(directory, repo, ["python3", str(here / "measure-rebuild.py"), "--inside", str(repo),
                                        chroot.NIXPKGS_INSIDE, chroot.TARBALL_INSIDE, str(runs)],
                      env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "NIX_PATH": "", "LANG": "C.UTF-8"},
                      timeout=7200, network=False)
    print(r.stdout, end="")
    print(r.stderr[-6000:], end="", file=sys.stderr)
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
