"""nspawn tier: a real PID-1 systemd, real D-Bus and hostnamed, the units as shipped.

Each scenario boots its own overlay of the image once; the guest's driver (guest/lib.sh plus the
steps below) acts inside the booted guest and records what it sees; the host asserts afterwards.
"""

import json

import nspawn
from guest import GuestRoot
from harness import Checks, Failure, registry

TOOLS = ["systemd-nspawn", "ip", "journalctl", "systemctl"]
SCENARIOS, scenario = registry()

BOOT_TIMEOUT = 120
SEED = "/var/lib/cloud/seed/nocloud"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0systestkeyAAAAAAAAAAAAAAAAAAAAAAAA systest@imprint"
# systemd's "unit starting" journal MESSAGE_ID (sd-messages.h SD_MESSAGE_UNIT_STARTING).
UNIT_STARTING = "7d4958e842da4a758f6c1cdc7b36dcc5"


def nocloudSeed(instanceId, hostname, fqdn=None):
    files = {f"{SEED}/meta-data": f"instance-id: {instanceId}\nlocal-hostname: {hostname}\n"}
    ud = "#cloud-config\n" + (f"fqdn: {fqdn}\n" if fqdn else "") + f"ssh_authorized_keys:\n  - {KEY}\n"
    files[f"{SEED}/user-data"] = ud
    return files


def boot(ctx, driver, **install):
    """A fresh overlay, everything installed, one boot; returns the (still mounted) root."""
    root = GuestRoot(ctx.image, ctx.workDir)
    root.__enter__()
    try:
        units = root.install(ctx.artifacts, driver, **{k: v for k, v in install.items()
                                                        if k not in ("kernelArgs", "netns", "nspawnArgs")})
        if "imprint.service" not in units:
            raise Failure(f"no imprint.service in {ctx.artifacts.units} (units/ not landed?); "
                          f"found: {units or 'nothing'}")
        took = nspawn.boot(root, timeout=BOOT_TIMEOUT, kernelArgs=install.get("kernelArgs", ()),
                           netns=install.get("netns"), nspawnArgs=install.get("nspawnArgs", ()))
        (ctx.workDir / "boot-seconds").write_text(f"{took:.2f}\n")
    except BaseException:
        root.__exit__(None, None, None)
        raise
    return root


def journalJson(root, *filters):
    out = root.journal("-o", "json", *filters)
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def unitStarts(root, unit):
    return len(journalJson(root, f"MESSAGE_ID={UNIT_STARTING}", f"UNIT={unit}"))


def serviceProps(text):
    return dict(l.split("=", 1) for l in text.splitlines() if "=" in l)


# imprint's journal MESSAGE_IDs (agent/report/log.cc, documented in docs/systemd.md).
MESSAGE_ID = {
    "applied": "33344dcaf62d4bcc9697b594414ad09a",
    "unchanged": "e16fbcc1b76b4bbb907bb9b3663390b5",
    "failed": "12d2af151f6d42cdbd888baedf4a6d95",
    "new-instance": "7d0ce6a5aec0420a9f3fed5830c1bbe6",
}


def checkApplied(c, snap, hostname, what, liveHostname=True):
    # A pod's host name belongs to Kubernetes (its UTS namespace): imprint leaves it alone there.
    if liveHostname:
        c.equal(snap.get("hostname", "").strip(), hostname, f"{what}: live hostname (hostnamectl)")
    else:
        c.that(snap.get("hostname", "").strip() != hostname, f"{what}: a pod's live host name is left alone")
    c.contains(snap.get("host.nix", "<missing>"), f'"{hostname}"', f"{what}: overlay names the host")
    c.that("state.json" in snap, f"{what}: /var/lib/imprint/state.json written")
    c.that("instance.json" in snap, f"{what}: /run/imprint/instance.json written")
    if "instance.json" in snap:
        c.equal(json.loads(snap["instance.json"]).get("hostname"), hostname, f"{what}: instance.json hostname")
    c.equal(snap.get("is-active", "").strip(), "active", f"{what}: imprint.service is-active")


@scenario("first-boot-nocloud", "first boot with a NoCloud seed directory")
def firstBoot(ctx):
    with boot(ctx, "snapshot boot", files=nocloudSeed("iid-first", "web-01", "web-01.example.org")) as root:
        c = Checks()
        snap = root.snapshot("boot")
        checkApplied(c, snap, "web-01", "after boot")
        c.contains(snap.get("host.nix", ""), "mkOverride 90", "overlay priority")
        c.contains(snap.get("host.nix", ""), KEY, "overlay carries the seed's key")
        c.equal(root.rebuilds(), ["nixos-rebuild switch"], "rebuild ran once with the expected argv")
        c.equal(unitStarts(root, "imprint-rebuild.service"), 1, "the rebuild ran as imprint-rebuild.service")
        c.equal(unitStarts(root, "imprint.service"), 1, "imprint.service started once")
        # Structured journal entries (agent/journal.cc): MESSAGE_ID, SOURCE=, INSTANCE_ID=,
        # SYSLOG_IDENTIFIER=imprint.
        applied = root.journal("MESSAGE_ID=" + MESSAGE_ID["applied"], "-o", "json")
        c.contains(applied, '"SOURCE":"nocloud"', "the 'applied' journal entry carries SOURCE=")
        c.contains(applied, '"INSTANCE_ID":"iid-first"', "the 'applied' journal entry carries INSTANCE_ID=")
        c.contains(applied, '"SYSLOG_IDENTIFIER":"imprint"', "imprint logs as SYSLOG_IDENTIFIER=imprint")
        status = json.loads(snap.get("status.json") or "{}")
        c.that(status != {}, f"imprint --json status answers: {snap.get('status.err', '')}")
        c.done()


@scenario("restart-unchanged", "systemctl restart imprint with the same seed changes nothing")
def restartUnchanged(ctx):
    driver = """
        snapshot boot
        step restart systemctl restart imprint.service
        snapshot after
    """
    with boot(ctx, driver, files=nocloudSeed("iid-same", "web-02")) as root:
        c = Checks()
        before, after = root.snapshot("boot"), root.snapshot("after")
        checkApplied(c, before, "web-02", "after boot")
        c.equal(root.out("restart")[2], 0, "systemctl restart imprint exit code")
        checkApplied(c, after, "web-02", "after restart")
        c.equal(after.get("host.nix"), before.get("host.nix"), "overlay unchanged by the restart")
        c.that("host.nix.previous" not in after or after.get("host.nix.previous") == before.get("host.nix.previous"),
               "no new previous overlay on an unchanged run")
        c.equal(len(root.rebuilds()), 1, f"exactly one rebuild (boot only): {root.rebuilds()}")
        c.equal(unitStarts(root, "imprint.service"), 2, "imprint.service ran twice (boot, restart)")
        c.done()


def changeSeed(hostname):
    return f"""
        cat >{SEED}/meta-data <<'SEED'
instance-id: iid-change
local-hostname: {hostname}
SEED
    """


@scenario("changed-seed", "a changed seed: one rebuild, the previous overlay kept")
def changedSeed(ctx):
    driver = "snapshot boot\n" + changeSeed("web-04") + """
        step restart systemctl restart imprint.service
        snapshot after
    """
    with boot(ctx, driver, files=nocloudSeed("iid-change", "web-03")) as root:
        c = Checks()
        before, after = root.snapshot("boot"), root.snapshot("after")
        checkApplied(c, before, "web-03", "after boot")
        c.equal(root.out("restart")[2], 0, "systemctl restart imprint exit code")
        checkApplied(c, after, "web-04", "after the change")
        c.equal(after.get("host.nix.previous"), before.get("host.nix"),
                "the previous overlay is kept as host.nix.previous")
        c.equal(root.rebuilds(), ["nixos-rebuild switch"] * 2, "one rebuild per change (boot, change)")
        c.done()


@scenario("failing-rebuild", "a failing rebuild: previous overlay restored, unit failed, reason shown")
def failingRebuild(ctx):
    driver = "snapshot boot\necho 1 >/var/lib/imprint-test/rebuild-exit\n" + changeSeed("web-06") + """
        mark before-failing-restart
        step restart systemctl restart imprint.service
        snapshot after
    """
    with boot(ctx, driver, files=nocloudSeed("iid-change", "web-05")) as root:
        c = Checks()
        before, after = root.snapshot("boot"), root.snapshot("after")
        checkApplied(c, before, "web-05", "after boot")
        c.equal(after.get("is-active", "").strip(), "failed", "imprint.service is failed")
        c.equal(after.get("host.nix"), before.get("host.nix"), "the previous overlay is restored")
        # One rule: the running system matches the committed overlay, so the live name is rolled
        # back with it (web-06 was set live before the rebuild failed).
        c.equal(after.get("hostname", "").strip(), "web-05", "the live host name is put back with the overlay")
        c.equal(len(root.rebuilds()), 2, f"the failing rebuild ran: {root.rebuilds()}")
        status = json.loads(after.get("status.json") or "{}")
        reason = str(status.get("reason") or "")
        c.that(reason != "", f"imprint --json status gives a reason: {after.get('status.json')!r}")
        c.that(status.get("result") == "failed", f"imprint status says failed: {status.get('result')!r}")
        c.contains(after.get("status.txt", ""), "fail", "imprint status (text) shows the failure")
        # The concrete cause (the stub exits 1) must reach both the journal and `imprint status`.
        cause = "status 1"
        c.contains(reason, cause, "imprint status names the cause")
        c.contains(reason, "the live host name is web-05 again", "imprint status says the name was put back")
        c.contains(after.get("status.txt", ""), cause, "imprint status (text) names the cause")
        c.contains(root.journal("-u", "imprint.service", "-o", "cat"), cause,
                   "the cause is in imprint.service's journal")
        c.contains(root.journal("-u", "imprint-rebuild.service", "-o", "cat"), "stub-rebuild: failing",
                   "the rebuild's own output is in the journal under imprint-rebuild.service")
        # The journal entry of the failure carries imprint's MESSAGE_ID (agent/report/log.cc).
        c.contains(root.journal("MESSAGE_ID=" + MESSAGE_ID["failed"], "-o", "cat"), cause,
                   "the failure is logged with the 'failed' MESSAGE_ID")
        c.done()


@scenario("credentials", "identity from systemd credentials alone: no seed, no network")
def credentials(ctx):
    ctx.workDir.mkdir(parents=True, exist_ok=True)
    keys = ctx.workDir / "root-keys"
    keys.write_text(KEY + "\n")
    # One line of YAML (flow style) fits --set-credential; the keys come from a file.
    args = ["--set-credential=imprint.meta-data:{instance-id: iid-cred, local-hostname: cred-web}",
            "--set-credential=system.hostname:ignored-name",
            f"--load-credential=ssh.authorized_keys.root:{keys}"]
    with boot(ctx, "snapshot boot", nspawnArgs=args) as root:
        c = Checks()
        snap = root.snapshot("boot")
        checkApplied(c, snap, "cred-web", "after boot")
        instance = json.loads(snap.get("instance.json") or "{}")
        c.equal(instance.get("source"), "credentials", "the credentials source was detected")
        c.equal(instance.get("instance_id"), "iid-cred", "instance id from imprint.meta-data")
        c.contains(snap.get("host.nix", ""), KEY, "the overlay carries root's key from ssh.authorized_keys.root")
        local = root.journal("-u", "imprint-local.service", "-o", "cat")
        c.contains(local, "systemd credential", "imprint-local found the credentials before the network")
        c.equal(root.rebuilds(), ["nixos-rebuild switch"], "one rebuild")
        c.done()


PODINFO = "/etc/podinfo"


def podinfoVersion(stamp, labels, hostname):
    d = f"{PODINFO}/..{stamp}"
    return {
        f"{d}/name": "web-7f9c",
        f"{d}/namespace": "shop",
        f"{d}/uid": "0e5f3c1a-1111-2222-3333-444455556666",
        f"{d}/labels": "\n".join(f'{k}="{v}"' for k, v in sorted(labels.items())),
        f"{d}/annotations": f'imprint.nixos.org/hostname="{hostname}"',
    }


@scenario("kubernetes-data-swap", "a downward-API ..data swap re-runs imprint once via the path unit")
def kubernetesSwap(ctx):
    first = podinfoVersion("2026_11_21_10_00_00.000000001", {"app": "shop", "tier": "web"}, "pod-a")
    second = podinfoVersion("2026_11_21_10_05_00.000000002", {"app": "shop", "tier": "api"}, "pod-a")
    stamp2 = "..2026_11_21_10_05_00.000000002"
    # Written as kubelet's atomic writer does: the new version dir complete first, then one
    # rename of a fresh ..data symlink over the old one, then the old version removed.
    # Back to back, as fast as kubelet's AtomicWriter does it (printf is a bash builtin).
    driver = "snapshot boot\nmark swapping-data\n" + f"mkdir {PODINFO}/{stamp2}\n" + "".join(
        f"printf '%s' '{t}' >{p}\n" for p, t in second.items()) + f"""
        ln -s {stamp2} {PODINFO}/..data_tmp
        mv -T {PODINFO}/..data_tmp {PODINFO}/..data
        rm -rf {PODINFO}/..2026_11_21_10_00_00.000000001
        for i in $(seq 1 300); do
          [ "$(wc -l </var/lib/imprint-test/rebuild-argv)" -ge 2 ] && break
          sleep 0.1
        done
        quiesce
        sleep 3
        snapshot after
    """
    # kubelet's layout: ..data -> the version dir, each visible file -> ..data/<file>.
    links = {f"{PODINFO}/..data": "..2026_11_21_10_00_00.000000001"}
    links.update({f"{PODINFO}/{n}": f"..data/{n}" for n in ("name", "namespace", "uid", "labels", "annotations")})
    with boot(ctx, driver, files=first, links=links) as root:
        c = Checks()
        before, after = root.snapshot("boot"), root.snapshot("after")
        checkApplied(c, before, "pod-a", "after boot", liveHostname=False)
        c.contains(before.get("host.nix", ""), '"web"', "the labels (facts) in the first overlay")
        c.contains(after.get("host.nix", ""), '"api"', "the new labels in the overlay after the swap")
        c.equal(after.get("host.nix.previous"), before.get("host.nix"), "the first overlay kept as previous")
        c.equal(unitStarts(root, "imprint-kubernetes.service"), 1,
                "the path unit re-ran imprint exactly once")
        c.equal(len(root.rebuilds()), 2, f"one rebuild at boot, one after the swap: {root.rebuilds()}")
        c.done()


EC2_CONTENT = {
    "meta-data/instance-id": "i-0systest0000000001",
    "meta-data/local-hostname": "ip-10-0-0-5.eu-west-1.compute.internal",
    "meta-data/hostname": "ip-10-0-0-5.eu-west-1.compute.internal",
    "meta-data/public-keys/": "0=systest",
    "meta-data/public-keys/0/openssh-key": KEY,
    "meta-data/placement/availability-zone": "eu-west-1b",
    "meta-data/instance-type": "t3.micro",
}


# An EC2 instance by its DMI (product_uuid starts with ec2), nothing else.
EC2_DMI = {"product_uuid": "ec2e1916-9099-7caf-fd21-012345abcdef", "sys_vendor": "Amazon EC2",
           "product_name": "t3.micro"}


@scenario("ec2-imdsv2", "EC2 end to end against the tests' own IMDSv2 server on 169.254.169.254")
def ec2(ctx):
    ctx.workDir.mkdir(parents=True, exist_ok=True)
    with nspawn.LinkLocalNetwork("ec2") as net, nspawn.MetadataServer(net, EC2_CONTENT, ctx.workDir) as imds:
        with boot(ctx, "snapshot boot", netns=net.guest, dmi=EC2_DMI) as root:
            c = Checks()
            snap = root.snapshot("boot")
            checkApplied(c, snap, "ip-10-0-0-5", "after boot")
            c.contains(snap.get("host.nix", ""), KEY, "the instance's key in the overlay")
            inst = json.loads(snap.get("instance.json") or "{}")
            c.equal(inst.get("source"), "ec2", "source")
            c.equal(inst.get("instance_id"), "i-0systest0000000001", "instance id")
            requests = imds.log()
            c.that(requests != [], "the guest asked the metadata server")
            if requests:
                c.equal((requests[0]["method"], requests[0]["path"]), ("PUT", "/latest/api/token"),
                        "the first request gets an IMDSv2 token")
            c.equal([r["path"] for r in requests if r["status"] == 401], [],
                    "no request without a token (IMDSv1)")
            c.that(all("x-aws-ec2-metadata-token" in r["headers"] for r in requests if r["method"] == "GET"),
                   "every GET carries the token")
            c.equal(len(root.rebuilds()), 1, f"one rebuild: {root.rebuilds()}")
            c.done()


# systemd-imds's locked mode (systemd >= 261, its 85-imds-early.network): a prohibit route to the
# metadata server in the main table, and the server reachable only through a table that the
# policy rule for systemd-imdsd's firewall mark selects. Built here by hand in the guest's
# namespace, as networkd would build it; Debian 12's systemd has no systemd-imds.
IMDS_MARK, IMDS_TABLE = "0x7fff0815", str(0x7FFF0815)


@scenario("imds-locked", "systemd-imds's locked mode: imprint still reaches the metadata server with its mark")
def imdsLocked(ctx):
    ctx.workDir.mkdir(parents=True, exist_ok=True)
    with nspawn.LinkLocalNetwork("lock") as net, nspawn.MetadataServer(net, EC2_CONTENT, ctx.workDir) as imds:
        net.ip("-n", net.guest, "route", "add", "prohibit", "169.254.169.254/32")
        net.ip("-n", net.guest, "route", "add", "169.254.169.254/32", "dev", net.guestIf, "table", IMDS_TABLE)
        net.ip("-n", net.guest, "rule", "add", "fwmark", IMDS_MARK, "lookup", IMDS_TABLE, "priority", "100")
        with boot(ctx, "snapshot boot", netns=net.guest, dmi=EC2_DMI) as root:
            c = Checks()
            snap = root.snapshot("boot")
            checkApplied(c, snap, "ip-10-0-0-5", "after boot")
            c.that(imds.log() != [], "the metadata server was reached through the marked route")
            c.contains(root.journal("-u", "imprint.service", "-o", "cat"), "asking again with systemd-imdsd's firewall mark",
                       "imprint says it used the mark")
            c.done()


@scenario("no-signal-no-packet", "no signal at all: imprint finishes at once and sends not one packet")
def noSignal(ctx):
    ctx.workDir.mkdir(parents=True, exist_ok=True)
    with nspawn.LinkLocalNetwork("none") as net, nspawn.MetadataServer(net, EC2_CONTENT, ctx.workDir) as imds:
        txBefore = net.guestTxPackets()
        with boot(ctx, "snapshot boot", netns=net.guest) as root:
            c = Checks()
            txAfter = net.guestTxPackets()
            snap = root.snapshot("boot")
            props = serviceProps(snap.get("imprint.service", ""))
            c.equal(imds.log(), [], "no request reached the metadata server")
            c.equal(txAfter - txBefore, 0, "packets the guest sent on its only link")
            c.that("host.nix" not in snap, "no overlay written")
            c.equal(root.rebuilds(), [], "no rebuild")
            c.equal(snap.get("hostname", "").strip(), "generic-image", "hostname untouched")
            for unit in ("imprint-local.service", "imprint.service"):
                p = serviceProps(snap.get(unit, ""))
                start = int(p.get("ExecMainStartTimestampMonotonic") or 0)
                end = int(p.get("ExecMainExitTimestampMonotonic") or 0)
                c.that(start > 0 and end >= start, f"{unit} ran imprint: {p}")
                c.that(end - start < 2_000_000, f"{unit} finished at once: took {(end - start) / 1e6:.2f} s")
            # Exit 3 (no source) is a bare boot of the golden image, not a failure: imprint says
            # READY=1 before it leaves, and SuccessExitStatus=3 keeps the unit active.
            c.equal(props.get("ExecMainStatus"), "3", "imprint.service exited 3 (no source)")
            c.equal(snap.get("is-active", "").strip(), "active", "imprint.service is not failed after a boot without a source")
            journal = root.journal("-u", "imprint.service", "-o", "cat")
            c.that(journal.strip() != "", "imprint said something in the journal")
            c.done()


def checkNotRun(c, root, snap):
    for unit in ("imprint-local.service", "imprint.service"):
        props = serviceProps(snap.get(unit, ""))
        c.equal(props.get("ConditionResult"), "no", f"{unit} skipped by its condition")
        c.equal(int(props.get("ExecMainStartTimestampMonotonic") or 0), 0, f"{unit} never executed imprint")
    c.that("host.nix" not in snap, "no overlay written")
    c.that("state.json" not in snap, "no state written")
    c.equal(root.rebuilds(), [], "no rebuild")
    c.equal(snap.get("hostname", "").strip(), "generic-image", "hostname untouched")


@scenario("kernel-cmdline-off", "imprint=off on the kernel command line: imprint does not run")
def cmdlineOff(ctx):
    with boot(ctx, "snapshot boot", files=nocloudSeed("iid-off", "must-not-apply"),
              cmdline="quiet imprint=off", kernelArgs=("imprint=off",)) as root:
        c = Checks()
        checkNotRun(c, root, root.snapshot("boot"))
        c.done()


@scenario("disable-file", "/etc/imprint/imprint.disabled: imprint does not run")
def disableFile(ctx):
    files = nocloudSeed("iid-off", "must-not-apply")
    files["/etc/imprint/imprint.disabled"] = ""
    with boot(ctx, "snapshot boot", files=files) as root:
        c = Checks()
        checkNotRun(c, root, root.snapshot("boot"))
        c.done()
