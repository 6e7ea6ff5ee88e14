"""The guest image: a Debian 12 minbase rootfs with real systemd, dbus, udev and a kernel.

Built once with debootstrap from the machine's own apt mirror and cached outside the repository,
keyed by a hash of its recipe (everything in RECIPE plus this file's customisation code), so a
change of the package list rebuilds it and nothing else does. Each scenario boots an overlay of it.
"""

import fcntl
import hashlib
import inspect
import os
import pathlib
import shutil
import time

from harness import Failure, log, run
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from apt_mirror import debianMirror  # noqa: E402

CACHE_ROOT = pathlib.Path(os.environ.get("IMPRINT_SYSTEST_CACHE", "/var/cache/imprint-system-tests"))

# What the guest needs: real PID-1 systemd, D-Bus, udev (by-label/by-uuid links), a kernel and
# initramfs for qemu, and the shared libraries the imprint binary links against on Debian 12.
RECIPE = {
    "suite": "bookworm",
    "variant": "minbase",
    "include": [
        "systemd", "systemd-sysv", "dbus", "udev", "kmod", "iproute2",
        "linux-image-amd64", "initramfs-tools",
        "libsystemd0", "libyaml-cpp0.7", "libcurl4", "libspdlog1.10", "libfmt9",
        "libssl3", "zlib1g", "libstdc++6",
    ],
    "recipe-version": 1,
}


def aptMirror():
    """The mirror CI can reach, for the guest's suite (tests/support/apt_mirror.py)."""
    return debianMirror((RECIPE["suite"],))


def baseHash(mirror):
    """The debootstrap step: the package recipe and the mirror."""
    h = hashlib.sha256()
    h.update(repr(sorted(RECIPE.items())).encode())
    h.update(mirror.encode())
    return h.hexdigest()[:16]


def imageHash(base):
    """The finished image: the base plus the customisation, so editing customise() costs a copy
    and an initramfs, not a debootstrap."""
    h = hashlib.sha256(base.encode())
    h.update(inspect.getsource(customise).encode())
    h.update(inspect.getsource(finish).encode())
    return h.hexdigest()[:16]


def customise(rootfs):
    """Host-side changes to the fresh rootfs that every scenario wants."""
    # A persistent journal, so the host reads the guest's journal after poweroff.
    (rootfs / "var/log/journal").mkdir(parents=True, exist_ok=True)
    # Nothing that waits for a network or a login on the way to poweroff.
    for unit in ["apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer",
                 "fstrim.timer", "systemd-networkd-wait-online.service", "getty@tty1.service",
                 "console-getty.service", "systemd-timesyncd.service"]:
        link = rootfs / "etc/systemd/system" / unit
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to("/dev/null")
    # The root filesystem of the qemu guest is mounted by the kernel (root=... rw); an fstab line
    # gives systemd-remount-fs nothing to complain about.
    (rootfs / "etc/fstab").write_text("LABEL=nixos / ext4 defaults 0 1\n")
    (rootfs / "etc/hostname").write_text("generic-image\n")
    # Empty machine-id: each boot gets its own, like a copy of a golden image.
    (rootfs / "etc/machine-id").write_text("")
    initramfs = rootfs / "etc/initramfs-tools"
    (initramfs / "conf.d").mkdir(parents=True, exist_ok=True)
    (initramfs / "conf.d/imprint-test.conf").write_text("MODULES=list\nCOMPRESS=gzip\n")
    (initramfs / "modules").write_text("virtio_pci\nvirtio_blk\next4\n")
    # Where the scenario's helpers live inside the guest.
    (rootfs / "usr/lib/imprint-test").mkdir(parents=True, exist_ok=True)


class Image:
    def __init__(self, directory):
        self.directory = directory
        self.rootfs = directory / "rootfs"
        self.kernel = directory / "vmlinuz"
        self.initrd = directory / "initrd.img"
        # Held (shared) for the life of the run: another run's clean-up leaves this image alone.
        self.inUse = open(directory / "in-use", "a")
        fcntl.flock(self.inUse, fcntl.LOCK_SH)


def removeIfUnused(directory):
    lockFile = directory / "in-use"
    if lockFile.exists():
        with open(lockFile) as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log(f"guest image: {directory} is in use by another run; not removed")
                return
            shutil.rmtree(directory, ignore_errors=True)
    else:
        shutil.rmtree(directory, ignore_errors=True)


def ensure():
    """Returns the cached image for the current recipe, building what is missing first."""
    for tool in ["debootstrap", "chroot"]:
        if not shutil.which(tool):
            raise Failure(f"prerequisite missing: {tool} (run scripts/install-deps.sh --system-tests)")
    mirror = aptMirror()
    baseKey = baseHash(mirror)
    key = imageHash(baseKey)
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    base = CACHE_ROOT / f"base-{baseKey}"
    directory = CACHE_ROOT / f"image-{key}"
    with open(CACHE_ROOT / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (directory / "complete").exists():
            log(f"guest image: cached {directory}")
            return Image(directory)
        if not (base / "complete").exists():
            build(base, lambda tmp: bootstrap(tmp, mirror))
        build(directory, lambda tmp: finish(base, tmp))
        # Older recipes are dead weight.
        for old in CACHE_ROOT.iterdir():
            if old.is_dir() and old not in (base, directory):
                removeIfUnused(old)
    return Image(directory)


def build(directory, fill):
    """Fills a temporary directory, then renames it into place: a half-built image is never used."""
    started = time.monotonic()
    tmp = directory.with_name(directory.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    fill(tmp)
    (tmp / "complete").write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
    if directory.exists():
        shutil.rmtree(directory)
    tmp.rename(directory)
    log(f"guest image: built {directory} in {time.monotonic() - started:.0f} s")


def bootstrap(tmp, mirror):
    rootfs = tmp / "rootfs"
    log(f"guest image: debootstrap {RECIPE['suite']} from {mirror} into {rootfs} (takes minutes)")
    run(["debootstrap", f"--variant={RECIPE['variant']}", "--include=" + ",".join(RECIPE["include"]),
         RECIPE["suite"], str(rootfs), mirror],
        timeout=1800, logfile=tmp / "debootstrap.log")
    # The apt cache is half the image and no scenario needs it.
    for debs in (rootfs / "var/cache/apt/archives").glob("*.deb"):
        debs.unlink()
    (tmp / "recipe").write_text(repr(RECIPE) + "\n" + mirror + "\n")


def finish(base, tmp):
    rootfs = tmp / "rootfs"
    log(f"guest image: customising a copy of {base / 'rootfs'}")
    run(["cp", "-a", "--reflink=auto", base / "rootfs", rootfs], timeout=600)
    customise(rootfs)
    # A small initramfs with just what finds a virtio root disk: TCG unpacks the stock one
    # (MODULES=most, ~36 MB) for many seconds on every boot.
    run(["chroot", rootfs, "update-initramfs", "-u", "-k", "all"], timeout=600,
        logfile=tmp / "initramfs.log")
    kernels = sorted((rootfs / "boot").glob("vmlinuz-*"))
    initrds = sorted((rootfs / "boot").glob("initrd.img-*"))
    if not kernels or not initrds:
        raise Failure(f"guest image: no kernel/initrd in {rootfs}/boot")
    shutil.copy2(kernels[-1], tmp / "vmlinuz")
    shutil.copy2(initrds[-1], tmp / "initrd.img")
