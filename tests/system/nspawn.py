"""Booting a guest root with systemd-nspawn: real PID-1 systemd, real D-Bus and hostnamed.

The guest's driver unit powers it off when it has recorded its results; the boot is bounded by a
timeout, after which nspawn (and with it the guest) is stopped by its PID.
"""

import json
import pathlib
import subprocess
import time

from harness import Failure, run, stopGroup


def boot(root, timeout=120, kernelArgs=(), binds=(), netns=None, logName="nspawn.log", nspawnArgs=()):
    """Boots root.merged until the guest powers itself off. `kernelArgs` become PID 1's argv,
    which is what systemd inside a container takes as its kernel command line (a program that
    reads /proc/cmdline gets the scenario's line from the guest's fake-host unit instead).
    `nspawnArgs` go to systemd-nspawn itself (--set-credential=...). Returns the seconds the
    boot took."""
    argv = ["systemd-nspawn", "-q", "-b", "-D", root.merged, "--register=no", "--keep-unit",
            "--link-journal=no", "--console=passive"]
    if netns:
        argv.append(f"--network-namespace-path=/run/netns/{netns}")
    else:
        argv.append("--private-network")
    for src, dst in binds:
        argv.append(f"--bind-ro={src}:{dst}")
    argv += list(nspawnArgs)
    argv += list(kernelArgs)
    logfile = root.workDir / logName
    started = time.monotonic()
    with open(logfile, "ab") as out:
        proc = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stopGroup(proc, grace=15)
            raise Failure(f"guest did not power off within {timeout} s (see {logfile})")
    took = time.monotonic() - started
    if rc != 0:
        raise Failure(f"systemd-nspawn exited {rc} (see {logfile})")
    if not root.path("/var/lib/imprint-test/out/driver-finished").exists():
        raise Failure(f"guest powered off but its driver did not finish (see {logfile})")
    return took


class LinkLocalNetwork:
    """Two network namespaces joined by a veth pair: the guest's (169.254.0.2/16) and the
    metadata server's (169.254.169.254/16). IPv6 is off on both, so every packet on the link is
    one somebody sent on purpose, and the guest side's tx counter counts the guest's packets."""

    def __init__(self, tag):
        self.guest = f"imprint-st-g-{tag}"
        self.server = f"imprint-st-s-{tag}"
        self.guestIf = "ist-guest0"
        self.serverIf = "ist-imds0"

    def ip(self, *args, check=True):
        return run(["ip", *args], timeout=15, check=check, capture=True)

    def __enter__(self):
        self.__exit__()
        for ns in (self.guest, self.server):
            self.ip("netns", "add", ns)
            run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
                 "net.ipv6.conf.default.disable_ipv6=1"], timeout=15)
            self.ip("-n", ns, "link", "set", "lo", "up")
        self.ip("link", "add", self.guestIf, "netns", self.guest, "type", "veth",
                "peer", "name", self.serverIf, "netns", self.server)
        self.ip("-n", self.guest, "addr", "add", "169.254.0.2/16", "dev", self.guestIf)
        self.ip("-n", self.server, "addr", "add", "169.254.169.254/16", "dev", self.serverIf)
        self.ip("-n", self.guest, "link", "set", self.guestIf, "up")
        self.ip("-n", self.server, "link", "set", self.serverIf, "up")
        return self

    def __exit__(self, *exc):
        for ns in (self.guest, self.server):
            self.ip("netns", "delete", ns, check=False)

    def guestTxPackets(self):
        r = self.ip("-n", self.guest, "-s", "-j", "link", "show", self.guestIf)
        return json.loads(r.stdout)[0]["stats64"]["tx"]["packets"]


class MetadataServer:
    """imds_server.py inside the server namespace, on 169.254.169.254:80."""

    def __init__(self, network, content, workDir):
        self.network = network
        self.content = workDir / "imds-content.json"
        self.requests = workDir / "imds-requests.jsonl"
        self.content.write_text(json.dumps(content))
        self.requests.write_text("")
        self.proc = None

    def __enter__(self):
        script = pathlib.Path(__file__).resolve().parent / "imds_server.py"
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.network.server, "python3", str(script), "169.254.169.254", "80",
             str(self.content), str(self.requests)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        line = self.proc.stdout.readline().decode().strip()
        if line != "ready":
            stopGroup(self.proc)
            raise Failure(f"metadata server did not start: {self.proc.stderr.read().decode()[-1000:]}")
        return self

    def __exit__(self, *exc):
        if self.proc:
            stopGroup(self.proc, grace=5)

    def log(self):
        return [json.loads(l) for l in self.requests.read_text().splitlines() if l.strip()]
