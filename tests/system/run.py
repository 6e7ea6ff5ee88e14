#!/usr/bin/env python3
"""The system tests: real systemd (nspawn) and real seed media (qemu). See run-all.sh."""

import argparse
import os
import pathlib
import shutil
import sys
import time
import traceback

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import guest  # noqa: E402
import image  # noqa: E402
import scenarios_nspawn  # noqa: E402
import scenarios_qemu  # noqa: E402
from harness import Failure, log  # noqa: E402

TIERS = {"nspawn": scenarios_nspawn, "qemu": scenarios_qemu}


class Context:
    def __init__(self, image, artifacts, workDir):
        self.image = image
        self.artifacts = artifacts
        self.workDir = workDir


def prerequisites(tier):
    """What a tier cannot run without. A missing piece fails the tier; it never skips."""
    problems = []
    if os.geteuid() != 0:
        problems.append("must run as root (overlay mounts, nspawn, network namespaces)")
    for tool in TIERS[tier].TOOLS:
        if not shutil.which(tool):
            problems.append(f"{tool} not found (scripts/install-deps.sh --system-tests installs it)")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build-dir", required=True, help="the CMake build directory (imprint, tests/stub-rebuild)")
    ap.add_argument("--tier", choices=["nspawn", "qemu", "all"], default="all")
    ap.add_argument("--only", default="", help="comma-separated scenario names")
    ap.add_argument("--work-dir", help="where each scenario keeps its guest and logs "
                    "(default BUILD/system-tests)")
    args = ap.parse_args()

    artifacts = guest.Artifacts(args.build_dir)
    workRoot = pathlib.Path(args.work_dir or artifacts.buildDir / "system-tests").resolve()
    only = {n for n in args.only.split(",") if n}
    tiers = ["nspawn", "qemu"] if args.tier == "all" else [args.tier]
    results = []  # (tier, name, ok, seconds, message)
    started = time.monotonic()

    try:
        artifacts.check()
        missing = [f"{t}: {p}" for t in tiers for p in prerequisites(t)]
        if missing:
            raise Failure("prerequisites missing:\n    " + "\n    ".join(missing))
        t0 = time.monotonic()
        img = image.ensure()
        log(f"guest image ready in {time.monotonic() - t0:.1f} s")
    except Failure as e:
        log(f"SYSTEM TESTS CANNOT RUN: {e}")
        print(f"FAIL system tests: {e}", flush=True)
        return 1

    known = {s.name for t in tiers for s in TIERS[t].SCENARIOS}
    unknown = only - known
    if unknown:
        print(f"FAIL unknown scenario(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        return 2
    for tier in tiers:
        for sc in TIERS[tier].SCENARIOS:
            if only and sc.name not in only:
                continue
            ctx = Context(img, artifacts, workRoot / tier / sc.name)
            log(f"--- {tier}/{sc.name}: {sc.title}")
            t0 = time.monotonic()
            try:
                sc.fn(ctx)
                ok, msg = True, ""
            except Failure as e:
                ok, msg = False, str(e)
            except Exception:  # a bug in the harness is a failure too, with its traceback
                ok, msg = False, traceback.format_exc()
            took = time.monotonic() - t0
            results.append((tier, sc.name, ok, took, msg))
            print(f"{'PASS' if ok else 'FAIL'} {tier}/{sc.name} ({took:.1f} s){'' if ok else ': ' + msg}",
                  flush=True)
            if not ok:
                print(f"     artifacts: {ctx.workDir}", flush=True)

    failed = [r for r in results if not r[2]]
    print(f"\nsystem tests: {len(results) - len(failed)} passed, {len(failed)} failed, "
          f"{time.monotonic() - started:.0f} s in all", flush=True)
    for tier, name, ok, took, msg in results:
        print(f"  {'ok  ' if ok else 'FAIL'} {tier}/{name} {took:.1f} s")
    if not results:
        print("FAIL: no scenario ran")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
