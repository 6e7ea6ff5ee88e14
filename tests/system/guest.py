"""A scenario's guest root: an overlay of the cached image with imprint, its units, the stub
rebuild and the scenario's driver installed. Both tiers boot one: nspawn boots the directory,
qemu boots an ext4 image made from it.
"""

import os
import pathlib
import re
import shutil
import textwrap

from harness import Failure, log, run

SOURCE_DIR = pathlib.Path(__file__).resolve().parents[2]
GUEST_FILES = pathlib.Path(__file__).resolve().parent / "guest"

# Where things live inside the guest. The binary goes where a distribution package puts it; the
# units are taken from units/ as shipped, with the binary path pointed at it if they name another.
GUEST_BINARY = "/usr/bin/imprint"
# The stub takes the place of nixos-rebuild on PATH, so the default `rebuild.command` finds it.
GUEST_STUB = "/usr/local/bin/nixos-rebuild"
GUEST_OUT = "/var/lib/imprint-test/out"
# The stub appends its argv here and exits with the number in STUB_EXIT. The manager's
# DefaultEnvironment carries both into every unit, the transient rebuild unit included.
STUB_LOG = "/var/lib/imprint-test/rebuild-argv"
STUB_EXIT = "/var/lib/imprint-test/rebuild-exit"


class Artifacts:
    """What the build produced, found in the build directory given to run-all.sh."""

    def __init__(self, buildDir):
        self.buildDir = pathlib.Path(buildDir).resolve()
        self.imprint = self.buildDir / "imprint"
        self.stub = self.buildDir / "tests" / "stub-rebuild"
        # IMPRINT_SYSTEST_UNITS tries units that are not in units/ yet; reported loudly.
        self.units = pathlib.Path(os.environ.get("IMPRINT_SYSTEST_UNITS", SOURCE_DIR / "units"))
        if "IMPRINT_SYSTEST_UNITS" in os.environ:
            log(f"WARNING: units taken from {self.units}, not from the repository's units/")

    def check(self):
        missing = [str(p) for p in (self.imprint, self.stub) if not p.exists()]
        if missing:
            raise Failure("build artifacts missing (build targets `imprint` and `stub-rebuild` first): "
                          + ", ".join(missing))


class GuestRoot:
    """An overlayfs of the image's rootfs: the image stays pristine, the scenario's writes land in
    `upper`, and `merged` is the guest's / as nspawn or mkfs.ext4 -d see it."""

    def __init__(self, image, workDir):
        self.image = image
        self.workDir = workDir
        self.upper = workDir / "upper"
        self.merged = workDir / "merged"
        self.mounted = False

    def __enter__(self):
        if self.mounted:  # boot() mounts it and hands it to the scenario's `with`
            return self
        for d in (self.upper, self.workDir / "work", self.merged):
            if d.exists():
                if d == self.merged and os.path.ismount(d):
                    run(["umount", d], timeout=30)
                shutil.rmtree(d)
            d.mkdir(parents=True)
        run(["mount", "-t", "overlay", "overlay", "-o",
             f"lowerdir={self.image.rootfs},upperdir={self.upper},workdir={self.workDir / 'work'}",
             self.merged], timeout=30)
        self.mounted = True
        return self

    def __exit__(self, *exc):
        self.unmount()

    def unmount(self):
        """The guest's writes stay in `upper` for a look after the run."""
        if self.mounted:
            run(["umount", self.merged], timeout=30)
            self.mounted = False

    def path(self, guestPath):
        return self.merged / guestPath.lstrip("/")

    def write(self, guestPath, text, mode=0o644):
        p = self.path(guestPath)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        p.chmod(mode)
        return p

    def read(self, guestPath):
        p = self.path(guestPath)
        return p.read_text(errors="replace") if p.exists() else None

    def out(self, name):
        """What the driver recorded for step `name`: (stdout, stderr, exit code) or None."""
        base = self.path(GUEST_OUT)
        if not (base / f"{name}.rc").exists():
            return None
        return ((base / f"{name}.out").read_text(errors="replace"),
                (base / f"{name}.err").read_text(errors="replace"),
                int((base / f"{name}.rc").read_text().strip() or "-1"))

    def install(self, artifacts, driverSteps, config=None, stubExit=0, cmdline=None, dmi=None,
                files=None, links=None, watchMounts=False):
        """imprint, the units, the stub rebuild, the config, the scenario's files and driver.
        `cmdline` and `dmi` ({name: value}) make the guest's /proc/cmdline and DMI (fake-host)."""
        shutil.copy2(artifacts.imprint, self.path(GUEST_BINARY))
        self.path(GUEST_STUB).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(artifacts.stub, self.path(GUEST_STUB))
        self.write("/etc/systemd/system.conf.d/imprint-test.conf",
                   f"[Manager]\nDefaultEnvironment=IMPRINT_STUB_LOG={STUB_LOG} IMPRINT_STUB_EXIT={STUB_EXIT}\n")
        self.write(STUB_EXIT, f"{stubExit}\n")
        if config is not None:
            self.write("/etc/imprint/imprint.yaml", config)
        for guestPath, text in (files or {}).items():
            self.write(guestPath, text)
        for guestPath, target in (links or {}).items():
            self.path(guestPath).parent.mkdir(parents=True, exist_ok=True)
            self.path(guestPath).symlink_to(target)
        installed = installUnits(self, artifacts.units)
        for f in GUEST_FILES.iterdir():
            shutil.copy2(f, self.path("/usr/lib/imprint-test/" + f.name))
        if cmdline is not None:
            self.write("/usr/lib/imprint-test/cmdline", cmdline + "\n")
        for name, value in (dmi or {}).items():
            self.write(f"/usr/lib/imprint-test/dmi/id/{name}", value + "\n")
        self.write("/usr/lib/imprint-test/driver",
                   "#!/bin/bash\n. /usr/lib/imprint-test/lib.sh\n"
                   + textwrap.dedent(driverSteps).strip() + "\nfinish\n", mode=0o755)
        unitDir = self.path("/etc/systemd/system")
        extra = [("imprint-test-driver.service", "multi-user.target"),
                 ("imprint-test-fake-host.service", "sysinit.target")]
        if watchMounts:
            extra.append(("imprint-test-mount-watch.service", "sysinit.target"))
        for unit, target in extra:
            shutil.copy2(GUEST_FILES / unit, unitDir)
            wants = unitDir / f"{target}.wants"
            wants.mkdir(exist_ok=True)
            (wants / unit).symlink_to(f"../{unit}")
        return installed

    def snapshot(self, name):
        """The files the driver's `snapshot NAME` saved: {file name: text}."""
        d = self.path(f"{GUEST_OUT}/{name}")
        if not d.is_dir():
            return {}
        return {f.name: f.read_text(errors="replace") for f in d.iterdir() if f.is_file()}

    def rebuilds(self):
        """The argv lines the stub recorded, one per rebuild that ran."""
        text = self.read(STUB_LOG)
        return [l for l in (text or "").splitlines() if l.strip()]

    def journal(self, *args):
        """The guest's persistent journal, read from the host after poweroff."""
        r = run(["journalctl", "--directory", self.path("/var/log/journal"), "--no-pager", *args],
                timeout=60, check=False, capture=True)
        return r.stdout or ""


def installUnits(root, unitsDir):
    """Copies units/ into the guest's /etc/systemd/system and enables what has an [Install]
    section, as a package plus `systemctl enable` would. Returns the unit names."""
    if not unitsDir.is_dir():
        return []
    names = []
    target = root.path("/etc/systemd/system")
    for unit in sorted(unitsDir.iterdir()):
        if unit.suffix not in (".service", ".path", ".target", ".timer", ".socket"):
            continue
        text = unit.read_text()
        # Point ExecStart= and friends at the installed binary whatever prefix the unit assumes
        # (a Nix store path, @bindir@, /usr/local/bin).
        text = re.sub(r"(Exec\w*=[-@:+!]*)(\S*/)?imprint(?=\s|$)", r"\1" + GUEST_BINARY, text)
        text = text.replace("@imprint@", GUEST_BINARY).replace("@bindir@/imprint", GUEST_BINARY)
        (target / unit.name).write_text(text)
        names.append(unit.name)
    enable = [n for n in names if "[Install]" in (target / n).read_text()]
    if enable:
        run(["systemctl", f"--root={root.merged}", "enable", *enable], timeout=30)
    return names

