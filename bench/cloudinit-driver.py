#!/usr/bin/python3
"""The cloud-init side of the benchmark: Debian's cloud-init 22.4 Python package doing the same
work imprint does on the same seed, using cloud-init's own code for every step.

  cloudinit-driver.py fetch ROOT   read the NoCloud seed under ROOT/var/lib/cloud/seed/nocloud
                                   (DataSourceNoCloud, which also reads DMI and the kernel command
                                   line and persists instance-data.json, as it does at boot),
                                   decode user-data (gzip, MIME, base64 parts), merge the
                                   cloud-config parts with cloud-init's CloudConfigPartHandler,
                                   apply util.get_hostname_fqdn, collect and parse the SSH keys
                                   from meta-data and cloud-config; print the result as JSON
  cloudinit-driver.py run ROOT     the same, then what cloud-init writes on a first boot for it:
                                   the instance directory and link, obj.pkl, cloud-config.txt,
                                   /etc/hostname (the Debian distro's writer) and root's
                                   authorized_keys, all under ROOT

Deliberately *less* than a booting cloud-init does, so the comparison flatters cloud-init: the
system configuration is a small dict instead of parsing /etc/cloud/cloud.cfg and cloud.cfg.d,
filesystem-label probing (blkid) is off (fs_label: null) just as a fake root has no devices for
imprint to find, and no module framework, no logging set-up, no network-config rendering.
Run it with `python3 -I` (no site directory scan beyond what the interpreter needs).
"""

import json
import os
import sys


def main():
    mode, root = sys.argv[1], os.path.abspath(sys.argv[2])
    from cloudinit import handlers, helpers, ssh_util, util
    from cloudinit.distros import debian
    from cloudinit.handlers.cloud_config import CloudConfigPartHandler
    from cloudinit.sources.DataSourceNoCloud import DataSourceNoCloud

    sysCfg = {"datasource": {"NoCloud": {"fs_label": None}}, "system_info": {"distro": "debian"}}
    paths = helpers.Paths({"cloud_dir": f"{root}/var/lib/cloud", "run_dir": f"{root}/run/cloud-init"})
    distro = debian.Distro("debian", sysCfg, paths)
    ds = DataSourceNoCloud(sysCfg, distro, paths)
    if not ds.get_data():
        print("cloud-init: no NoCloud seed", file=sys.stderr)
        return 3

    if mode == "run":
        # Init.instancify + _write_to_cache: the per-instance directory, its link, the pickle.
        iid = ds.get_instance_id()
        idir = os.path.join(paths.cloud_dir, "instances", iid)
        util.ensure_dirs([idir, os.path.join(paths.cloud_dir, "data")])
        util.write_file(os.path.join(idir, "datasource"), f"DataSourceNoCloud: {ds}\n")
        util.write_file(os.path.join(paths.cloud_dir, "data", "instance-id"), iid + "\n")
        util.sym_link(idir, paths.instance_link, force=True)
        paths.datasource = ds
        ds.persist_instance_data()

    # User-data: decoded (gzip, MIME, transfer encodings) by cloud-init's UserDataProcessor, then
    # every text/cloud-config part merged by the handler cloud-init itself uses.
    message = ds.get_userdata()
    handler = CloudConfigPartHandler(paths)
    handler.handle_part(None, handlers.CONTENT_START, None, None, None, None)
    for part in message.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype in ("text/cloud-config", "text/cloud-config-jsonp"):
            handler.handle_part(None, ctype, part.get_filename() or "part-001",
                                util.fully_decoded_payload(part), None, dict(part))
    cloudCfg = handler.cloud_buf or {}
    handler.handle_part(None, handlers.CONTENT_END, None, None, None, None)  # writes cloud-config.txt in run mode
    cfg = util.mergemanydict([cloudCfg, sysCfg])

    names = util.get_hostname_fqdn(cfg, ds)

    # cc_ssh's key collection: meta-data keys, then cloud-config's ssh_authorized_keys, each parsed.
    keys = list(ds.get_public_ssh_keys() or [])
    cfgKeys = cfg.get("ssh_authorized_keys") or []
    keys += [cfgKeys] if isinstance(cfgKeys, str) else list(cfgKeys)
    parser = ssh_util.AuthKeyLineParser()
    parsed = [parser.parse(str(k)) for k in keys]
    valid = [str(k) for k in parsed if k.valid()]

    if mode == "run":
        distro._write_hostname(names.hostname, f"{root}/etc/hostname")
        util.write_file(f"{root}/root/.ssh/authorized_keys", "".join(k + "\n" for k in valid), 0o600)

    print(json.dumps({"source": "nocloud", "instance_id": ds.get_instance_id(), "hostname": names.hostname,
                      "fqdn": names.fqdn, "ssh_authorized_keys": valid, "timezone": cfg.get("timezone")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
