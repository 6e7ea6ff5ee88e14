"""A Debian 13 (trixie) chroot with Nix 2.26 and Python 3.13, plus the real nixpkgs tree.

The real nixpkgs (26.11 cycle) needs Nix >= 2.18 and its nixos-rebuild-ng needs Python >= 3.12;
Debian 12 has Nix 2.8 and Python 3.11. So the NixOS tier runs Nix inside a debootstrapped trixie
minbase chroot (the recipe of ../shared/nixpkgs/README.md), in a private mount namespace
(`unshare --mount`) with the repository bind-mounted at its own path: nothing is mounted on, or
written to, the host outside the cache.

Built once and cached outside the repository (like tests/system/image.py), keyed by a hash of the
recipe, the mirror, the nixpkgs tarball's sha256 and this file's set-up code; an older key is
removed when a new one is built. The Nix store of the chroot (the .drv files the evaluation
instantiates) lives in the cache with it.
"""

import fcntl
import hashlib
import inspect
import os
import pathlib
import shutil
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "system"))
from harness import Failure, log, run  # noqa: E402
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from apt_mirror import debianMirror  # noqa: E402

CACHE_ROOT = pathlib.Path(os.environ.get("IMPRINT_NIXOS_CACHE", "/var/cache/imprint-nixos-tests"))

# Where the tarball is expected: ../shared/nixpkgs/ next to the checkout (issue 17), or anywhere
# IMPRINT_NIXPKGS_TARBALL says. Its content is pinned by sha256: another tree is another test.
NIXPKGS_SHA256 = "f1c618b2691d25487a8ca9f85f5562ea27ae6160028e4a488e88a1891ca02e76"

RECIPE = {
    "suite": "trixie",
    "variant": "minbase",
    # libdbi-perl provides perl-dbdabi-94, which nix-bin's libdbd-sqlite3-perl needs and
    # debootstrap's resolver misses (then the base system fails to configure).
    "include": ["nix-bin", "libdbi-perl", "python3", "ca-certificates"],
    "recipe-version": 1,
}

# Inside the chroot.
NIXPKGS_INSIDE = "/srv/nixpkgs"
TARBALL_INSIDE = "/srv/tarballs/nixpkgs-26.11.tar.xz"

NIX_CONF = """\
# No daemon, no build users, no sandbox (a chroot in a mount namespace), no binary cache
# (nothing is built: the tier evaluates and instantiates derivations only).
sandbox = false
build-users-group =
substituters =
experimental-features = nix-command flakes
flake-registry =
"""


def tarball(repo):
    explicit = os.environ.get("IMPRINT_NIXPKGS_TARBALL")
    path = pathlib.Path(explicit) if explicit else repo.parent / "shared/nixpkgs/nixpkgs-26.11.tar.xz"
    if not path.is_file():
        raise Failure(f"the real nixpkgs tree is missing: {path} does not exist (set "
                      "IMPRINT_NIXPKGS_TARBALL to nixpkgs-26.11.tar.xz, sha256 " + NIXPKGS_SHA256 + ")")
    return path


def trixieMirror():
    """The mirror CI can reach (tests/support/apt_mirror.py). The machine runs bookworm; the
    same mirror serves trixie."""
    return debianMirror(("bookworm", "trixie"))


def recipeHash(mirror):
    h = hashlib.sha256()
    h.update(repr(sorted(RECIPE.items())).encode())
    h.update(mirror.encode())
    h.update(NIXPKGS_SHA256.encode())
    h.update(NIX_CONF.encode())
    h.update(inspect.getsource(bootstrap).encode())
    return h.hexdigest()[:16]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def bootstrap(tmp, mirror, tar):
    rootfs = tmp / "rootfs"
    log(f"nixos tier: debootstrap {RECIPE['suite']} from {mirror} into {rootfs} (about 2 min)")
    run(["debootstrap", f"--variant={RECIPE['variant']}", "--include=" + ",".join(RECIPE["include"]),
         RECIPE["suite"], rootfs, mirror], timeout=1800, logfile=tmp / "debootstrap.log")
    for deb in (rootfs / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()
    (rootfs / "etc/nix").mkdir(parents=True, exist_ok=True)
    (rootfs / "etc/nix/nix.conf").write_text(NIX_CONF)
    got = sha256(tar)
    if got != NIXPKGS_SHA256:
        raise Failure(f"{tar}: sha256 {got}, expected {NIXPKGS_SHA256}")
    log(f"nixos tier: unpacking {tar} into {rootfs}{NIXPKGS_INSIDE}")
    dest = rootfs / NIXPKGS_INSIDE.lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    (rootfs / TARBALL_INSIDE.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
    run(["tar", "-xJf", tar, "-C", dest.parent], timeout=600)
    if not (dest / "nixos/lib/eval-config.nix").is_file():
        raise Failure(f"{tar} did not unpack to a nixpkgs tree at {dest}")
    # The tarball too, as the flakes' nixpkgs input (tarball+file://): Nix's fetcher cache keeps
    # it by URL and modification time, where a path: input of the unpacked tree would be hashed
    # again (53,000 files, about a minute) by every `nix flake lock` and `nix eval`.
    shutil.copy2(tar, rootfs / TARBALL_INSIDE.lstrip("/"))
    (tmp / "recipe").write_text(repr(RECIPE) + "\n" + mirror + "\n" + NIXPKGS_SHA256 + "\n")


def ensure(repo):
    """The cached chroot directory for the current recipe, built first when missing."""
    for tool in ["debootstrap", "chroot", "unshare", "tar", "xz"]:
        if not shutil.which(tool):
            raise Failure(f"prerequisite missing: {tool} (run scripts/install-deps.sh --system-tests)")
    tar = tarball(repo)
    mirror = trixieMirror()
    key = recipeHash(mirror)
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    directory = CACHE_ROOT / f"trixie-nix-{key}"
    with open(CACHE_ROOT / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (directory / "complete").exists():
            log(f"nixos tier: cached chroot {directory}")
            return directory
        started = time.monotonic()
        tmp = directory.with_name(directory.name + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        bootstrap(tmp, mirror, tar)
        (tmp / "complete").write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
        tmp.rename(directory)
        log(f"nixos tier: built {directory} in {time.monotonic() - started:.0f} s")
        for old in CACHE_ROOT.iterdir():
            if old.is_dir() and old != directory:
                shutil.rmtree(old, ignore_errors=True)
    return directory


def inside(directory, repo, argv, env, timeout, logfile=None, capture=True, network=True):
    """Runs argv (a program inside the chroot) in a private mount namespace, with /proc, /dev and
    the repository (at its own path) mounted into the chroot; without network=True, in an empty
    network namespace too (no interface but a down loopback). Returns the CompletedProcess."""
    rootfs = directory / "rootfs"
    helper = pathlib.Path(__file__).resolve()
    return run(["unshare", "--mount", "--propagation", "private", *([] if network else ["--net"]), "--",
                sys.executable, helper, "--enter", rootfs, repo, "--", *argv],
               timeout=timeout, logfile=logfile, check=False, env=env, capture=capture)


def enter(rootfs, repo, argv):
    """In the new mount namespace: mount what the chroot needs, then exec chroot."""
    rootfs = pathlib.Path(rootfs)
    if os.readlink("/proc/self/ns/mnt") == os.readlink(f"/proc/{os.getppid()}/ns/mnt"):
        raise SystemExit("chroot.py --enter runs only in a private mount namespace (unshare --mount)")
    mounts = [("/proc", "proc"), ("/dev", "dev"), ("/sys", "sys"), (repo, repo.lstrip("/"))]
    for source, target in mounts:
        where = rootfs / target
        where.mkdir(parents=True, exist_ok=True)
        subprocessRun(["mount", "--rbind", source, where])
    tmp = rootfs / "tmp"
    tmp.mkdir(exist_ok=True)
    subprocessRun(["mount", "-t", "tmpfs", "tmpfs", tmp])
    os.execvp("chroot", ["chroot", str(rootfs), *argv])


def subprocessRun(argv):
    import subprocess
    subprocess.run([str(a) for a in argv], check=True)


if __name__ == "__main__" and len(sys.argv) > 4 and sys.argv[1] == "--enter" and sys.argv[4] == "--":
    enter(sys.argv[2], sys.argv[3], sys.argv[5:])
