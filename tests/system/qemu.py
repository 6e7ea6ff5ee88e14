"""Booting a guest root under qemu (TCG): a real kernel, real udev, real seed block devices.

The guest root becomes an ext4 image labelled `nixos` (a fixed UUID, so the expected by-uuid path
is known); seed media are made without mounting anything (xorriso, mkfs.vfat + mcopy), since the
host kernel here cannot mount iso9660 or vfat. Results come from the serial log and from the disk
image after poweroff (debugfs reads ext4 without mounting it).
"""

import os
import pathlib
import shutil
import subprocess
import time

from harness import Failure, run, stopGroup

ROOT_UUID = "5a1e5a1e-0000-4000-8000-1a2b3c4d5e6f"
ROOT_LABEL = "nixos"


def rootImage(root, path):
    """An ext4 image of the guest root (the overlay's merged view), with room to spare."""
    used = int(run(["du", "-sxb", root.merged], timeout=120, capture=True).stdout.split()[0])
    size = used + 512 * 1024 * 1024
    with open(path, "wb") as f:
        f.truncate(size)
    run(["mkfs.ext4", "-q", "-F", "-L", ROOT_LABEL, "-U", ROOT_UUID, "-E", "root_owner=0:0",
         "-d", root.merged, path], timeout=300)
    return path


def isoImage(path, volid, files, workDir):
    """An ISO 9660 (Rock Ridge + Joliet) image with volume id `volid` holding `files`."""
    src = workDir / f"{path.stem}-content"
    if src.exists():
        shutil.rmtree(src)
    for name, text in files.items():
        p = src / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    run(["xorriso", "-as", "mkisofs", "-quiet", "-V", volid, "-J", "-R", "-o", path, src], timeout=60)
    return path


def hostileIsoImage(path, volid, files, workDir, symlinks=(), fifos=(), hugeFiles=()):
    """An ISO as an attacker would write it, with native xorriso (its mkisofs emulation drops
    FIFOs): Rock Ridge symlinks {name: target}, FIFOs [name], and huge files [name] of 3 GiB of
    zeros stored as zisofs, so the image stays small while the guest's kernel reports the full size."""
    src = workDir / f"{path.stem}-content"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    for name, text in files.items():
        p = src / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    for name, target in dict(symlinks).items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, src / name)
    for name in fifos:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(src / name)
    argv = ["xorriso", "-report_about", "SORRY", "-outdev", path, "-volid", volid, "-joliet", "on",
            "-zisofs", "level=1:block_size=128k", "-map", src, "/"]
    for name in hugeFiles:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        with open(src / name, "wb") as f:
            f.truncate(3 << 30)
        argv += ["-map", src / name, "/" + name, "-set_filter", "--zisofs", "/" + name, "--"]
    if path.exists():
        path.unlink()
    run(argv + ["-commit"], timeout=120)
    return path


def vfatImage(path, label, files, workDir):
    """A FAT image labelled `label` holding `files`, written with mtools (no mount)."""
    with open(path, "wb") as f:
        f.truncate(8 * 1024 * 1024)
    run(["mkfs.vfat", "-n", label, path], timeout=30)
    src = workDir / f"{path.stem}-content"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    dirs = sorted({str(pathlib.PurePosixPath(n).parent) for n in files} - {"."})
    for d in dirs:
        run(["mmd", "-i", path, "::" + d], timeout=30)
    for name, text in files.items():
        p = src / name.replace("/", "__")
        p.write_text(text)
        run(["mcopy", "-i", path, p, "::" + name], timeout=30)
    return path


def boot(workDir, image, rootImg, media=(), timeout=300, append="", extraArgs=()):
    """Boots until the guest powers off (-no-reboot: a reboot or panic ends qemu too).
    `media`: (path, "cdrom" | "disk"); `extraArgs` go to qemu as they are (-smbios ...).
    Returns (seconds, serial log text)."""
    serial = workDir / "serial.log"
    serial.write_text("")
    argv = ["qemu-system-x86_64", "-machine", "pc,accel=tcg", "-m", "2048", "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-kernel", image.kernel, "-initrd", image.initrd,
            "-append", f"root=/dev/vda rw console=ttyS0 panic=-1 quiet {append}".strip(),
            "-drive", f"file={rootImg},if=virtio,format=raw,cache=unsafe",
            "-serial", f"file:{serial}"]
    ide = 0
    for path, kind in media:
        if kind == "cdrom":
            argv += ["-drive", f"file={path},if=ide,index={ide},media=cdrom,readonly=on"]
            ide += 1
        else:
            argv += ["-drive", f"file={path},if=virtio,format=raw,readonly=on"]
    argv += list(extraArgs)
    started = time.monotonic()
    with open(workDir / "qemu.log", "ab") as out:
        proc = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stopGroup(proc, grace=5)
            raise Failure(f"qemu guest did not power off within {timeout} s (see {serial})")
    took = time.monotonic() - started
    text = serial.read_text(errors="replace")
    if rc != 0:
        raise Failure(f"qemu exited {rc} (see {workDir / 'qemu.log'})")
    return took, text


def extract(rootImg, guestDir, dest):
    """Copies a directory out of the powered-off guest's ext4 image (debugfs rdump, no mount)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    run(["debugfs", "-R", f"rdump {guestDir} {dest}", rootImg], timeout=60, capture=True)
    return dest / pathlib.PurePosixPath(guestDir).name


def catFile(rootImg, guestPath):
    r = run(["debugfs", "-R", f"cat {guestPath}", rootImg], timeout=60, capture=True, check=False)
    return r.stdout if r.returncode == 0 and r.stdout else None
