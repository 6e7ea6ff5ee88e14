"""qemu tier: a real kernel and udev, real seed block devices (cidata ISO cdrom, CIDATA vfat disk,
config-2), the real root filesystem. About half a minute per boot under TCG."""

import base64
import json
import pathlib

import qemu
from guest import STUB_LOG, GuestRoot
from harness import Checks, Failure, registry
from scenarios_nspawn import KEY, checkApplied

TOOLS = ["qemu-system-x86_64", "xorriso", "mkfs.vfat", "mcopy", "mmd", "mkfs.ext4", "debugfs", "du"]
SCENARIOS, scenario = registry()

BOOT_TIMEOUT = 300

# What the driver records in every qemu scenario: imprint's result, the mounts, the root device
# as the guest's udev names it. SERIAL_DUMP makes finish() copy the results to the serial log.
DRIVER = """
    export SERIAL_DUMP=1
    settle imprint.service
    snapshot boot
    step mounts-now findmnt --raw --noheadings --output TARGET,SOURCE,FSTYPE,OPTIONS
    step by-label ls -l /dev/disk/by-label
    step by-uuid ls -l /dev/disk/by-uuid
    step root-source findmnt --noheadings --output SOURCE,FSTYPE /
    step block-devices ls -l /dev/sr0 /dev/vda /dev/vdb
"""


class DiskResults:
    """The driver's results, copied out of the powered-off guest's ext4 image."""

    def __init__(self, rootImg, workDir):
        self.rootImg = rootImg
        self.dir = qemu.extract(rootImg, "/var/lib/imprint-test", workDir / "from-disk")

    def snapshot(self, name):
        d = self.dir / "out" / name
        return {f.name: f.read_text(errors="replace") for f in d.iterdir() if f.is_file()} if d.is_dir() else {}

    def out(self, name):
        base = self.dir / "out"
        if not (base / f"{name}.rc").exists():
            return ("", "", -1)
        return ((base / f"{name}.out").read_text(errors="replace"),
                (base / f"{name}.err").read_text(errors="replace"),
                int((base / f"{name}.rc").read_text().strip() or "-1"))

    def rebuilds(self):
        p = self.dir / pathlib.PurePosixPath(STUB_LOG).name
        return [l for l in (p.read_text() if p.exists() else "").splitlines() if l.strip()]


def bootWith(ctx, media, moreSteps="", qemuArgs=()):
    """`media`: [(file name, builder(path) -> path, "cdrom" | "disk")]; `moreSteps`: driver lines
    run after the common ones; `qemuArgs`: more of qemu's own. Returns (results, serial)."""
    ctx.workDir.mkdir(parents=True, exist_ok=True)
    rootImg = ctx.workDir / "root.img"
    with GuestRoot(ctx.image, ctx.workDir / "guest") as root:
        units = root.install(ctx.artifacts, DRIVER + moreSteps, watchMounts=True)
        if "imprint.service" not in units:
            raise Failure(f"no imprint.service in {ctx.artifacts.units} (units/ not landed?)")
        qemu.rootImage(root, rootImg)
    attached = [(build(ctx.workDir / name), kind) for name, build, kind in media]
    took, serial = qemu.boot(ctx.workDir, ctx.image, rootImg, attached, timeout=BOOT_TIMEOUT, extraArgs=qemuArgs)
    (ctx.workDir / "boot-seconds").write_text(f"{took:.2f}\n")
    if "IMPRINT-TEST-FILE-BEGIN" not in serial:
        raise Failure(f"the guest's driver did not report on the serial log (see {ctx.workDir / 'serial.log'})")
    return DiskResults(rootImg, ctx.workDir), serial


def nocloudFiles(instanceId, hostname):
    return {"meta-data": f"instance-id: {instanceId}\nlocal-hostname: {hostname}\n",
            "user-data": f"#cloud-config\nssh_authorized_keys:\n  - {KEY}\n"}


def mountEvents(snap):
    """[(action, target, source, fstype, options)] from findmnt --poll."""
    events = []
    for line in snap.get("imprint-test-mounts.log", "").splitlines():
        parts = line.split(" ")
        if len(parts) >= 5:
            events.append(tuple(parts[:5]))
    return events


def checkSeedMount(c, snap, results, device, fsType):
    events = mountEvents(snap)
    c.that("imprint-test-mounts.log" in snap, "the mount log was recorded")
    # The mount source is the path imprint gave mount(2): the device or its by-label link.
    mounted = [e for e in events if e[0] == "mount" and e[3] == fsType
               and (e[2] == device or e[2].startswith("/dev/disk/by-label/"))]
    if c.that(mounted != [], f"{device} was mounted: {events}"):
        action, target, source, fs, options = mounted[0]
        opts = options.split(",")
        c.equal(fs, fsType, f"{device} file system type")
        c.that("ro" in opts, f"{device} mounted read-only: {options}")
        c.that({"nosuid", "nodev", "noexec", "nosymfollow"} <= set(opts),
               f"{device} mounted nosuid,nodev,noexec,nosymfollow: {options}")
        c.that(target.startswith("/run/imprint"), f"{device} mounted under /run/imprint: {target}")
        c.that(any(e[0] == "umount" and e[1] == target for e in events), f"{target} unmounted again: {events}")
    c.that(fsType not in results.out("mounts-now")[0], "no seed file system left mounted")


@scenario("cidata-iso-cdrom", "a cidata ISO as a cdrom: found by label, mounted read-only, applied, unmounted")
def cidataIso(ctx):
    seed = nocloudFiles("iid-iso", "iso-host")
    results, serial = bootWith(ctx, [("seed.iso", lambda p: qemu.isoImage(p, "cidata", seed, ctx.workDir), "cdrom")])
    c = Checks()
    snap = results.snapshot("boot")
    checkApplied(c, snap, "iso-host", "after boot")
    c.equal(json.loads(snap.get("instance.json") or "{}").get("source"), "nocloud", "source")
    checkSeedMount(c, snap, results, "/dev/sr0", "iso9660")
    c.contains(results.out("by-label")[0], "cidata -> ../../sr0", "udev's by-label link for the seed")
    c.equal(len(results.rebuilds()), 1, f"one rebuild: {results.rebuilds()}")
    c.contains(qemu.catFile(results.rootImg, "/var/lib/imprint/host.nix") or "", '"iso-host"',
               "host.nix in the disk image (debugfs)")
    c.contains(serial, "IMPRINT-TEST-FILE-BEGIN", "the serial log carries the results")
    c.done()


_vfatBoot = {}


def vfatBoot(ctx):
    """The CIDATA vfat boot, shared by cidata-vfat-disk and root-device: a TCG boot costs half a
    minute or more, and both look at the same guest (each still boots it when run alone)."""
    if "result" not in _vfatBoot:
        seed = nocloudFiles("iid-vfat", "vfat-host")
        ctx.workDir = ctx.workDir.parent / "cidata-vfat-disk"
        try:
            _vfatBoot["result"] = bootWith(
                ctx, [("cidata.img", lambda p: qemu.vfatImage(p, "CIDATA", seed, ctx.workDir), "disk")])
        except Failure as e:
            _vfatBoot["result"] = e
    if isinstance(_vfatBoot["result"], Failure):
        raise _vfatBoot["result"]
    return _vfatBoot["result"]


@scenario("cidata-vfat-disk", "a CIDATA vfat disk: found by label, mounted read-only, applied, unmounted")
def cidataVfat(ctx):
    results, serial = vfatBoot(ctx)
    c = Checks()
    snap = results.snapshot("boot")
    checkApplied(c, snap, "vfat-host", "after boot")
    checkSeedMount(c, snap, results, "/dev/vdb", "vfat")
    c.contains(results.out("by-label")[0], "CIDATA -> ../../vdb", "udev's by-label link for the seed")
    c.equal(len(results.rebuilds()), 1, f"one rebuild: {results.rebuilds()}")
    c.done()


@scenario("smbios-credential", "the host name from an SMBIOS type 11 credential: no seed, no network")
def smbiosCredential(ctx):
    # The guest has no NIC at all (-nodefaults); PID 1 reads the OEM strings of SMBIOS type 11
    # and imprint-local.service gets them through LoadCredential=.
    keys = base64.b64encode((KEY + "\n").encode()).decode()
    uuid = "6a1f0c3e-2b4d-4e5f-8a9b-0c1d2e3f4a5b"
    args = ["-uuid", uuid,
            "-smbios", "type=11,value=io.systemd.credential:system.hostname=smbios-web",
            "-smbios", f"type=11,value=io.systemd.credential.binary:ssh.authorized_keys.root={keys}"]
    results, serial = bootWith(ctx, [], qemuArgs=args)
    c = Checks()
    snap = results.snapshot("boot")
    checkApplied(c, snap, "smbios-web", "after boot")
    instance = json.loads(snap.get("instance.json") or "{}")
    c.equal(instance.get("source"), "credentials", "the credentials source was detected")
    c.equal(instance.get("instance_id"), uuid, "the instance id is the VM's SMBIOS UUID")
    c.contains(snap.get("host.nix", ""), KEY, "the overlay carries root's key from the binary credential")
    c.equal(len(results.rebuilds()), 1, f"one rebuild: {results.rebuilds()}")
    c.done()


@scenario("config-2-drive", "an OpenStack config-2 drive (ISO as a cdrom)")
def configDrive(ctx):
    meta = {"uuid": "83679162-1378-4288-a2d4-70e13ec132aa", "hostname": "cfg-host.example.net",
            "name": "cfg-host", "availability_zone": "nova", "public_keys": {"systest": KEY},
            "meta": {"role": "db"}}
    files = {"openstack/latest/meta_data.json": json.dumps(meta),
             "openstack/latest/user_data": "#cloud-config\n",
             "openstack/latest/network_data.json": json.dumps({"links": [], "networks": [], "services": []})}
    results, serial = bootWith(ctx, [("config-2.iso", lambda p: qemu.isoImage(p, "config-2", files, ctx.workDir), "cdrom")])
    c = Checks()
    snap = results.snapshot("boot")
    checkApplied(c, snap, "cfg-host", "after boot")
    inst = json.loads(snap.get("instance.json") or "{}")
    c.equal(inst.get("source"), "configdrive", "source")
    c.equal(inst.get("domain"), "example.net", "domain")
    c.contains(snap.get("host.nix", ""), KEY, "the drive's key in the overlay")
    checkSeedMount(c, snap, results, "/dev/sr0", "iso9660")
    c.equal(len(results.rebuilds()), 1, f"one rebuild: {results.rebuilds()}")
    c.done()


@scenario("root-device", "the overlay names the real root file system by its stable path and fsType")
def rootDevice(ctx):
    results, serial = vfatBoot(ctx)
    c = Checks()
    snap = results.snapshot("boot")
    checkApplied(c, snap, "vfat-host", "after boot")
    c.equal(results.out("root-source")[0].split(), ["/dev/vda", "ext4"], "the guest's root as the kernel mounted it")
    stable = {f"/dev/disk/by-uuid/{qemu.ROOT_UUID}": results.out("by-uuid")[0],
              f"/dev/disk/by-label/{qemu.ROOT_LABEL}": results.out("by-label")[0]}
    rd = json.loads(snap.get("instance.json") or "{}").get("root_device") or {}
    device = rd.get("device")
    c.that(device in stable, f"root_device is a stable path of the root file system: {rd}")
    if device in stable:
        name = device.rsplit("/", 1)[1]
        c.contains(stable[device], f"{name} -> ../../vda", f"{device} exists in the guest's udev and is the root")
    c.equal(rd.get("fs_type"), "ext4", "root_device.fs_type")
    nix = qemu.catFile(results.rootImg, "/var/lib/imprint/host.nix") or ""
    c.contains(nix, f'fileSystems."/".device = lib.mkOverride 90 "{device}"', "overlay: root device")
    c.contains(nix, 'fileSystems."/".fsType = lib.mkOverride 90 "ext4"', "overlay: root fsType")
    c.done()


@scenario("hostile-media", "media that lie: a Rock Ridge symlink, a FIFO and a 3 GiB file fail cleanly, nothing committed")
def hostileMedia(ctx):
    # cidata: meta-data is a link to the guest's own /etc/hostname (read it, and the seed would
    # name the host after the host). config-2: meta_data.json is a FIFO (open it blocking and the
    # fetch hangs). CONFIG-2: meta_data.json is 3 GiB (zisofs keeps the ISO small).
    cidata = lambda p: qemu.hostileIsoImage(p, "cidata", {"user-data": "#cloud-config\n"}, ctx.workDir,
                                           symlinks={"meta-data": "/etc/hostname"})
    fifo = lambda p: qemu.hostileIsoImage(p, "config-2", {"openstack/latest/user_data": "#cloud-config\n"},
                                         ctx.workDir, fifos=["openstack/latest/meta_data.json"])
    huge = lambda p: qemu.hostileIsoImage(p, "CONFIG-2", {}, ctx.workDir, hugeFiles=["openstack/latest/meta_data.json"])
    steps = """
    step fifo timeout 120 imprint --source configdrive run --no-rebuild
    rm -f /dev/disk/by-label/config-2
    step huge timeout 120 imprint --source configdrive run --no-rebuild
    step state-dir ls -A /var/lib/imprint
    step live-hostname hostname
    step mounts-after findmnt --raw --noheadings --output TARGET,FSTYPE
"""
    results, serial = bootWith(ctx, [("cidata.iso", cidata, "cdrom"), ("config-2.iso", fifo, "cdrom"),
                                     ("CONFIG-2.iso", huge, "cdrom")], steps)
    c = Checks()
    snap = results.snapshot("boot")
    journalFile = results.dir / "out" / "journal.txt"
    journal = journalFile.read_text(errors="replace") if journalFile.exists() else ""
    c.that("host.nix" not in snap, f"no overlay was committed after the symlinked meta-data: {sorted(snap)}")
    c.contains(journal, "meta-data: it is, or its path goes through, a symbolic link that may not be followed",
               "the boot's error names the symlinked meta-data")
    for name, out in (("fifo", results.out("fifo")), ("huge", results.out("huge"))):
        c.equal(out[2], 1, f"{name}: imprint exits 1 (not 124, a timeout): {out[1]!r}")
        c.equal(len(out[1].strip().splitlines()), 1, f"{name}: one error line: {out[1]!r}")
    c.contains(results.out("fifo")[1], "meta_data.json is a FIFO, expected a regular file", "the FIFO is named")
    c.contains(results.out("huge")[1], "meta_data.json is larger than the limit of 1048576 bytes", "the 3 GiB file is named")
    c.equal(results.out("state-dir")[0].split(), [], "nothing committed in /var/lib/imprint")
    c.that("iso9660" not in results.out("mounts-after")[0], "no medium left mounted")
    c.done()
