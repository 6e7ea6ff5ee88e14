#!/usr/bin/python3
"""Runs every tier of the benchmark in one go and writes bench/results/ (see bench/run.sh, which
installs what this needs and builds imprint in Release first).

  1. seed -> identity: imprint fetch / render / run --no-rebuild under a root prefix against
     cloud-init 22.4 (cloudinit-driver.py) on the same three seeds: hyperfine wall times (min and
     median) and peak RSS (GNU time's %M)
  2. "no source here": imprint detect on an empty root against ds-identify with PATH_ROOT on it
  3. boot critical path under systemd-nspawn (boot.py)
  4. Google Benchmark microbenchmarks of parsing and rendering

Every command is an argv; nothing goes through a shell.
"""

import argparse
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = pathlib.Path(__file__).resolve().parent
PY = "/usr/bin/python3"  # Debian's interpreter: the one cloud-init's package is installed for
DRIVER = str(BENCH / "cloudinit-driver.py")
DS_IDENTIFY = "/usr/lib/cloud-init/ds-identify"
SEEDS = ["small", "many-keys", "multipart"]


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def check(argv, **kw):
    return subprocess.run([str(a) for a in argv], check=True, **kw)


def hyperfine(name, argv, out, runs, prepare=None, ignoreFailure=False, warmup=2):
    """Times argv with hyperfine (no shell in between: -N); returns min/median/mean in ms."""
    jsonFile = out / f"hyperfine-{name}.json"
    cmd = ["hyperfine", "-N", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
           "--export-json", jsonFile, "--command-name", name]
    if prepare:
        cmd += ["--prepare", " ".join(str(a) for a in prepare)]
    if ignoreFailure:
        cmd.append("-i")
    cmd.append(" ".join(str(a) for a in argv))
    check(cmd, stdout=subprocess.DEVNULL)
    r = json.loads(jsonFile.read_text())["results"][0]
    times = [t * 1000 for t in r["times"]]
    return {"min_ms": min(times), "median_ms": statistics.median(times), "mean_ms": statistics.mean(times),
            "user_ms": r["user"] * 1000, "system_ms": r["system"] * 1000, "runs": len(times)}


def peakRss(argv, prepare=None, repeat=5):
    """Peak resident set size in KiB (GNU time %M), the largest of `repeat` runs."""
    values = []
    with tempfile.NamedTemporaryFile() as f:
        for _ in range(repeat):
            if prepare:
                check(prepare)
            subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f.name, *map(str, argv)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            values.append(int(pathlib.Path(f.name).read_text().split()[-1]))
    return max(values)


def seedTier(args, out, roots):
    imprint = args.build / "imprint"
    results = {}
    for seed in SEEDS:
        R = roots / seed
        imprintClean = ["rm", "-rf", R / "var/lib/imprint", R / "run/imprint"]
        ciClean = ["rm", "-rf", R / "run/cloud-init", R / "var/lib/cloud/instances", R / "var/lib/cloud/instance",
                   R / "var/lib/cloud/data", R / "etc/hostname", R / "root"]
        # Both sides must come to the same identity, or the comparison means nothing.
        mine = json.loads(check([imprint, "-q", "--root", R, "fetch"], capture_output=True, text=True).stdout)
        theirs = json.loads(check([PY, "-I", DRIVER, "fetch", R], capture_output=True, text=True).stdout)
        fields = lambda d: (d["hostname"], d["fqdn"], d["timezone"], sorted(d["ssh_authorized_keys"]))
        agree = fields(mine) == fields(theirs)
        if not agree:
            log(f"WARNING: {seed}: imprint and cloud-init disagree: {fields(mine)[:3]} vs {fields(theirs)[:3]}")
        steps = {
            "fetch": ([imprint, "-q", "--root", R, "fetch"], imprintClean, [PY, "-I", DRIVER, "fetch", R], ciClean),
            "render": ([imprint, "-q", "--root", R, "render"], imprintClean, [PY, "-I", DRIVER, "fetch", R], ciClean),
            "run": ([imprint, "-q", "--root", R, "run", "--no-rebuild"], imprintClean,
                    [PY, "-I", DRIVER, "run", R], ciClean),
        }
        results[seed] = {"agree": agree, "hostname": mine["hostname"], "keys": len(mine["ssh_authorized_keys"]),
                         "bytes": sum((R / "var/lib/cloud/seed/nocloud" / n).stat().st_size
                                      for n in ("meta-data", "user-data")), "steps": {}}
        ciDone = {}
        for step, (mineArgv, mineClean, ciArgv, ciCleanArgv) in steps.items():
            log(f"{seed}: imprint {step}")
            a = hyperfine(f"imprint-{seed}-{step}", mineArgv, out, args.imprint_runs, prepare=mineClean)
            a["rss_kib"] = peakRss(mineArgv, mineClean)
            ciMode = ciArgv[3]
            if ciMode not in ciDone:
                log(f"{seed}: cloud-init {ciMode}")
                b = hyperfine(f"cloud-init-{seed}-{ciMode}", ciArgv, out, args.cloudinit_runs, prepare=ciCleanArgv)
                b["rss_kib"] = peakRss(ciArgv, ciCleanArgv, repeat=3)
                ciDone[ciMode] = b
            results[seed]["steps"][step] = {"imprint": a, "cloud-init": ciDone[ciMode], "cloud_init_mode": ciMode}
    return results


def noSourceTier(args, out, work):
    empty = work / "empty-root"
    shutil.rmtree(empty, ignore_errors=True)
    empty.mkdir(parents=True)
    imprintArgv = [args.build / "imprint", "-q", "--root", empty, "detect"]
    ciArgv = ["env", f"PATH_ROOT={empty}", DS_IDENTIFY]
    clean = ["rm", "-rf", empty / "run"]  # ds-identify caches its answer in /run: a boot starts without it
    rcMine = subprocess.run([str(a) for a in imprintArgv], capture_output=True).returncode
    rcTheirs = subprocess.run([str(a) for a in ciArgv], capture_output=True).returncode
    shutil.rmtree(empty / "run", ignore_errors=True)
    log("no source: imprint detect, ds-identify")
    a = hyperfine("imprint-detect-empty", imprintArgv, out, args.imprint_runs, prepare=clean, ignoreFailure=True)
    a["rss_kib"] = peakRss(imprintArgv, clean)
    a["exit_code"] = rcMine
    b = hyperfine("ds-identify-empty", ciArgv, out, args.imprint_runs, prepare=clean, ignoreFailure=True)
    b["rss_kib"] = peakRss(ciArgv, clean)
    b["exit_code"] = rcTheirs
    log_ = (empty / "run/cloud-init/ds-identify.log")
    subprocess.run([str(a) for a in ciArgv], capture_output=True)
    virt = next((l.split("=", 1)[1] for l in log_.read_text().splitlines() if l.startswith("VIRT=")), "?") \
        if log_.exists() else "?"
    return {"imprint": a, "ds-identify": b, "ds_identify_virt": virt}


def microTier(args, out):
    binary = args.build / "bench/imprint-micro-bench"
    jsonFile = out / "micro.json"
    log("microbenchmarks")
    check([binary, f"--benchmark_min_time={args.micro_min_time}", "--benchmark_format=console",
           f"--benchmark_out={jsonFile}", "--benchmark_out_format=json"], stdout=subprocess.DEVNULL)
    data = json.loads(jsonFile.read_text())
    return [{"name": b["name"], "cpu_ns": b["cpu_time"] if b["time_unit"] == "ns" else None,
             "real_ns": b["real_time"], "unit": b["time_unit"], "iterations": b["iterations"]}
            for b in data["benchmarks"]]


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    debian = pathlib.Path("/etc/debian_version").read_text().strip() if os.path.exists("/etc/debian_version") else "?"
    ci = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "cloud-init"], capture_output=True, text=True).stdout
    hf = subprocess.run(["hyperfine", "--version"], capture_output=True, text=True).stdout.strip()
    load = open("/proc/loadavg").read().split()[:3]
    return {"nproc": os.cpu_count(), "cpu": cpu, "debian": debian, "kernel": platform.release(),
            "cloud_init": ci, "hyperfine": hf, "python": platform.python_version(), "loadavg_start": load,
            "date": time.strftime("%Y-%m-%d %H:%M %Z")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=pathlib.Path, required=True, help="Release build directory with imprint")
    ap.add_argument("--work", type=pathlib.Path, required=True, help="scratch directory")
    ap.add_argument("--out", type=pathlib.Path, default=BENCH / "results")
    ap.add_argument("--skip-boot", action="store_true", help="leave out the nspawn boot tier")
    ap.add_argument("--imprint-runs", type=int, default=30)
    ap.add_argument("--cloudinit-runs", type=int, default=10)
    ap.add_argument("--micro-min-time", default="0.2")
    args = ap.parse_args()
    args.build = args.build.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    raw = args.work / "raw"
    shutil.rmtree(raw, ignore_errors=True)
    raw.mkdir(parents=True)
    started = time.monotonic()

    cache = (args.build / "CMakeCache.txt").read_text()
    buildType = next((l.split("=", 1)[1] for l in cache.splitlines() if l.startswith("CMAKE_BUILD_TYPE:")), "?")
    if buildType != "Release":
        log(f"WARNING: {args.build} is a {buildType} build, not Release")
    results = {"machine": machine(), "build_type": buildType}
    roots = args.work / "roots"
    shutil.rmtree(roots, ignore_errors=True)
    check([PY, BENCH / "gen-seeds.py", roots])
    results["seed"] = seedTier(args, raw, roots)
    results["no_source"] = noSourceTier(args, raw, args.work)
    if args.skip_boot:
        results["boot"] = {"skipped": "--skip-boot"}
    else:
        log("boot tier (systemd-nspawn)")
        bootJson = raw / "boot.json"
        r = subprocess.run([PY, str(BENCH / "boot.py"), str(bootJson), str(roots / "small/var/lib/cloud/seed/nocloud"),
                            "web-1", str(args.build / "imprint")],
                           env={**os.environ, "IMPRINT_BENCH_WORK": str(args.work)})
        results["boot"] = json.loads(bootJson.read_text()) if r.returncode == 0 and bootJson.exists() \
            else {"failed": f"boot.py exited {r.returncode} (its log is above)"}
    results["micro"] = microTier(args, raw)
    results["machine"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    results["elapsed_s"] = round(time.monotonic() - started)
    (args.out / "latest.json").write_text(json.dumps(results, indent=1))
    check([PY, BENCH / "report.py", args.out / "latest.json", args.out / "latest.md", args.out / "latest.png"])
    print((args.out / "latest.md").read_text())


if __name__ == "__main__":
    main()
