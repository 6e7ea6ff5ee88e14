#!/usr/bin/env python3
"""Offline measurement, inside the chroot (run.py --measure-offline): for each identity change,
the derivations the rebuild must build (in the new toplevel's closure, not in the old one) and
the inputs they need that are not among stdenvNoCC's closure (what `buildDependencies =
"host-change"` carries). Prints a report; asserts nothing (it measures)."""

import json
import subprocess
import sys

repo, tree = sys.argv[1], sys.argv[2]
r = subprocess.run(["nix-instantiate", "--eval", "--strict", "--json", "--read-write-mode", f"{repo}/tests/nixos-real/offline.nix",
                    "--argstr", "nixpkgs", tree, "--argstr", "repo", repo], capture_output=True, text=True)
if r.returncode != 0:
    sys.exit(r.stderr[-3000:])
drvs = json.loads(r.stdout)


def closure(drv):
    out = subprocess.run(["nix-store", "--query", "--requisites", drv], capture_output=True, text=True, check=True)
    return {p for p in out.stdout.split() if p.endswith(".drv")}


def show(paths):
    out = subprocess.run(["nix", "derivation", "show", *sorted(paths)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


base = closure(drvs["none"])
noCC = closure(drvs["stdenvNoCC"])
for change in ["hostName", "domain", "keys", "timeZone", "rootDevice"]:
    new = closure(drvs[change]) - base
    info = show(new) if new else {}
    names = sorted(d["name"] for d in info.values())
    # Inputs of the new derivations that are not new themselves: their outputs must exist.
    needed = set()
    for d in info.values():
        for inp in d.get("inputDrvs", {}):
            full = inp if inp.startswith("/nix/store/") else "/nix/store/" + inp
            if full not in new:
                needed.add(full)
    outside = needed - noCC
    outsideNames = sorted(v["name"] for v in show(outside).values()) if outside else []
    print(f"{change}: {len(new)} derivations rebuild: {', '.join(names)}")
    print(f"  their unchanged input derivations: {len(needed)}, of which outside stdenvNoCC's "
          f"closure {len(outside)} (present offline only if the image's runtime closure has their "
          f"outputs, which only a build can tell)")
