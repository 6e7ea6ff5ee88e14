#!/usr/bin/python3
"""Boot tier of the benchmark: real PID-1 systemd under systemd-nspawn, three guests made from the
system tests' cached Debian image (tests/system/image.py), each booted N times:

  baseline    the image and the seed, no agent: what the boot costs without either
  imprint     + /usr/bin/imprint and units/ as shipped (imprint-local.service sets the host name
              from the local seed; imprint.service hands the rebuild to a stub nixos-rebuild,
              as in the system tests, since NixOS cannot be built here)
  cloud-init  + Debian's cloud-init 22.4 installed into a cached layer over the same image
              (/var/cache/imprint-bench/), enabled by its generator through ds-identify

All three read the same seed in /var/lib/cloud/seed/nocloud. In each guest a watcher started at
sysinit polls the kernel host name every 2 ms and records when it becomes the seed's name; a
collector waits for the boot to finish, saves `systemd-analyze time|critical-chain|blame` and the
agents' unit timestamps, and powers the guest off.

Writes one JSON document to the path given as the only argument.
"""

import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import time

BENCH = pathlib.Path(__file__).resolve().parent
SOURCE = BENCH.parent
sys.path.insert(0, str(SOURCE / "tests/system"))

import guest  # noqa: E402
import image  # noqa: E402
import nspawn  # noqa: E402
from harness import Failure, log, run  # noqa: E402

CACHE = pathlib.Path(os.environ.get("IMPRINT_BENCH_CACHE", "/var/cache/imprint-bench"))
OUT = "/var/lib/imprint-bench"
AGENT_UNITS = {
    "imprint": ["imprint-local.service", "imprint.service"],
    "cloud-init": ["cloud-init-local.service", "cloud-init.service", "cloud-config.service",
                   "cloud-final.service"],
}

WATCHER = r"""#!/bin/bash
# Polls the kernel host name every 2 ms (builtins only: no fork per poll) until it is $1.
target=$1 out=/var/lib/imprint-bench
mkdir -p "$out"
echo "$EPOCHREALTIME" > "$out/watch-started"
mkfifo /run/imprint-bench-tick && exec 3<>/run/imprint-bench-tick
for ((i = 0; i < 60000; i++)); do
    read -r h < /proc/sys/kernel/hostname
    if [[ $h == "$target" ]]; then echo "$EPOCHREALTIME" > "$out/hostname-set"; exit 0; fi
    read -r -t 0.002 -u 3 _
done
"""

COLLECTOR = r"""#!/bin/bash
# Waits for the boot to be over, records what systemd says about it, powers off.
out=/var/lib/imprint-bench
mkdir -p "$out"
systemctl is-system-running --wait > "$out/state" 2>&1
busctl get-property org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager \
    UserspaceTimestamp > "$out/userspace-realtime"
busctl get-property org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager \
    UserspaceTimestampMonotonic > "$out/userspace-monotonic"
systemd-analyze time > "$out/time" 2>&1
systemd-analyze critical-chain --no-pager > "$out/critical-chain" 2>&1
systemd-analyze blame --no-pager > "$out/blame" 2>&1
for u in imprint-local.service imprint.service cloud-init-local.service cloud-init.service \
         cloud-config.service cloud-final.service; do
    echo "[$u]"
    systemctl show "$u" -p ActiveState -p Result \
        -p InactiveExitTimestampMonotonic -p ActiveEnterTimestampMonotonic -p ExecMainExitTimestampMonotonic
done > "$out/units" 2>&1
systemctl --failed --no-legend > "$out/failed" 2>&1
hostname > "$out/hostname"
mkdir -p /var/lib/imprint-test/out && touch /var/lib/imprint-test/out/driver-finished
systemctl poweroff --no-block
"""


class Layered:
    """An image-like object whose rootfs is an overlay lowerdir list: a cached layer over the image."""

    def __init__(self, base, layer):
        self.rootfs = f"{layer}:{base.rootfs}"


def cloudInitLayer(img):
    """Debian's cloud-init installed with apt into an overlay over the image, cached by the image's name."""
    layerDir = CACHE / f"cloud-init-over-{img.directory.name}"
    upper = layerDir / "upper"
    if (layerDir / "complete").exists():
        log(f"cloud-init layer: cached {upper}")
        return upper
    for old in CACHE.glob("cloud-init-over-*"):
        shutil.rmtree(old, ignore_errors=True)
    started = time.monotonic()
    work = layerDir / "tmp"
    root = guest.GuestRoot(img, work)
    with root:
        root.path("/etc/resolv.conf").unlink(missing_ok=True)
        shutil.copy2("/etc/resolv.conf", root.path("/etc/resolv.conf"))
        env = ["--setenv=DEBIAN_FRONTEND=noninteractive"]
        base = ["systemd-nspawn", "-q", "-D", root.merged, "--register=no", "--keep-unit", *env]
        run([*base, "apt-get", "update", "-qq"], timeout=600, logfile=work / "apt.log")
        run([*base, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "cloud-init"],
            timeout=900, logfile=work / "apt.log")
        run([*base, "apt-get", "clean"], timeout=120, logfile=work / "apt.log")
        root.path("/etc/resolv.conf").unlink(missing_ok=True)
    shutil.move(str(root.upper), str(upper))
    shutil.rmtree(work, ignore_errors=True)
    (layerDir / "complete").write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
    log(f"cloud-init layer: built {upper} in {time.monotonic() - started:.0f} s")
    return upper


def prepare(root, variant, seedDir, imprintBinary, hostname):
    seed = pathlib.Path(seedDir)
    for name in ("meta-data", "user-data"):
        root.write(f"/var/lib/cloud/seed/nocloud/{name}", (seed / name).read_text())
    root.write("/usr/lib/imprint-bench/watch-hostname", WATCHER, mode=0o755)
    root.write("/usr/lib/imprint-bench/collect", COLLECTOR, mode=0o755)
    root.write("/etc/systemd/system/imprint-bench-watch.service",
               "[Unit]\nDescription=benchmark: when does the host name change\nDefaultDependencies=no\n"
               "Before=sysinit.target\n[Service]\nType=simple\n"
               f"ExecStart=/usr/lib/imprint-bench/watch-hostname {hostname}\n")
    root.write("/etc/systemd/system/imprint-bench-collect.service",
               "[Unit]\nDescription=benchmark: record the boot and power off\nAfter=multi-user.target\n"
               "[Service]\nType=simple\nExecStart=/usr/lib/imprint-bench/collect\n")
    for unit, target in (("imprint-bench-watch.service", "sysinit.target"),
                         ("imprint-bench-collect.service", "multi-user.target")):
        wants = root.path(f"/etc/systemd/system/{target}.wants")
        wants.mkdir(parents=True, exist_ok=True)
        (wants / unit).symlink_to(f"../{unit}")
    if variant == "imprint":
        shutil.copy2(imprintBinary, root.path(guest.GUEST_BINARY))
        # The rebuild's stand-in, as in the system tests: nixos-rebuild cannot run on Debian.
        root.write("/usr/local/bin/nixos-rebuild", "#!/bin/sh\nexit 0\n", mode=0o755)
        installed = guest.installUnits(root, SOURCE / "units")
        if "imprint-local.service" not in installed and "imprint.service" not in installed:
            raise Failure("units/ has no imprint-local.service or imprint.service to boot with")


def usec(busctlLine):
    return int(busctlLine.split()[-1])


def parseBoot(root, variant):
    o = pathlib.Path(root.path(OUT))
    read = lambda n: (o / n).read_text(errors="replace") if (o / n).exists() else ""
    r = {"state": read("state").strip(), "hostname": read("hostname").strip(),
         "failed": read("failed").strip(), "time": read("time").strip(),
         "critical_chain": read("critical-chain"), "blame": read("blame")}
    # "Startup finished in 712ms (userspace)": the container has no kernel or initrd phase.
    m = re.search(r"in ([\dmin. ]+?s)\s*\(userspace\)", r["time"])
    r["userspace_ms"] = parseDuration(m.group(1)) if m else None
    if read("hostname-set") and read("userspace-realtime"):
        r["hostname_set_ms"] = (float(read("hostname-set")) * 1e6 - usec(read("userspace-realtime"))) / 1000
    else:
        r["hostname_set_ms"] = None
    units, cur = {}, None
    for line in read("units").splitlines():
        if line.startswith("["):
            cur = line.strip("[]")
            units[cur] = {}
        elif "=" in line and cur:
            k, v = line.split("=", 1)
            units[cur][k] = v
    start = usec(read("userspace-monotonic")) if read("userspace-monotonic") else 0
    r["units"] = {}
    for name in AGENT_UNITS.get(variant, []):
        u = units.get(name, {})
        t0, t1 = int(u.get("InactiveExitTimestampMonotonic") or 0), int(u.get("ActiveEnterTimestampMonotonic") or 0)
        r["units"][name] = {"state": u.get("ActiveState"), "result": u.get("Result"),
                            "active_ms": (t1 - t0) / 1000 if t0 and t1 else None,
                            "done_at_ms": (t1 - start) / 1000 if t1 else None}
    r["blame_ms"] = {}
    for line in r["blame"].splitlines():
        parts = line.split()
        if len(parts) >= 2 and any(parts[-1].startswith(p) for p in ("imprint", "cloud-")):
            r["blame_ms"][parts[-1]] = parseDuration(" ".join(parts[:-1]))
    r["on_critical_chain"] = [l.strip() for l in r["critical_chain"].splitlines()
                              if "imprint" in l or "cloud-" in l]
    return r


def parseDuration(text):
    """systemd's "1min 2.345s", "712ms", "1.2s" -> milliseconds."""
    total = 0.0
    for value, unit in re.findall(r"([\d.]+)\s*(min|ms|us|s)", text):
        total += float(value) * {"min": 60000, "s": 1000, "ms": 1, "us": 0.001}[unit]
    return total


def main():
    outFile, seedDir, hostname, imprintBinary = sys.argv[1:5]
    boots = int(os.environ.get("IMPRINT_BENCH_BOOTS", "5"))
    workRoot = pathlib.Path(os.environ.get("IMPRINT_BENCH_WORK", "/var/tmp/imprint-bench")) / "boot"
    img = image.ensure()
    layer = cloudInitLayer(img)
    variants = {"baseline": img, "imprint": img, "cloud-init": Layered(img, layer)}
    results = {"boots": boots, "hostname": hostname, "image": str(img.directory), "cloud_init_layer": str(layer),
               "runs": {}}
    # Interleaved (b, i, c, b, i, c...) so that drifting machine load hits all three alike.
    for n in range(boots):
        for variant, base in variants.items():
            work = workRoot / f"{variant}-{n}"
            if work.exists():
                shutil.rmtree(work)
            root = guest.GuestRoot(base, work)
            with root:
                prepare(root, variant, seedDir, imprintBinary, hostname)
                took = nspawn.boot(root, timeout=300)
                r = parseBoot(root, variant)
            r["nspawn_s"] = took
            results["runs"].setdefault(variant, []).append(r)
            log(f"boot {variant} #{n + 1}: userspace {r['userspace_ms']} ms, host name set at "
                f"{r['hostname_set_ms']} ms, guest hostname {r['hostname']!r}, state {r['state']}")
            shutil.rmtree(work, ignore_errors=True)
    pathlib.Path(outFile).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        log(f"boot tier failed: {e}")
        sys.exit(1)
