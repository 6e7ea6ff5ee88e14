#!/usr/bin/env python3
"""Writes the benchmark's NoCloud seeds, deterministically, as fake machine roots:
OUT/<seed>/var/lib/cloud/seed/nocloud/{meta-data,user-data}. That directory is where both
cloud-init (its seed_dir) and imprint (its default nocloud.seed_dirs) look on a real machine.

  small      what most VMs get: a name, an instance id, one key, a time zone
  many-keys  a large seed: 150 meta-data public keys, 250 user-data keys, 300 packages,
             150 write_files entries, 200 runcmd lines (every key parsed, most not acted on)
  multipart  MIME multipart user-data: cloud-config, a shell script, a base64-encoded
             cloud-config and a boothook, later parts overriding earlier keys
"""

import base64
import os
import random
import struct
import sys
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText


def sshKey(rng, comment):
    """A well-formed ssh-ed25519 public key line (random 32-byte key, proper wire format)."""
    t = b"ssh-ed25519"
    blob = struct.pack(">I", len(t)) + t + struct.pack(">I", 32) + bytes(rng.getrandbits(8) for _ in range(32))
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"


def write(root, name, meta, user):
    d = os.path.join(root, name, "var/lib/cloud/seed/nocloud")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "meta-data"), "w") as f:
        f.write(meta)
    with open(os.path.join(d, "user-data"), "w") as f:
        f.write(user)


def small(rng):
    meta = "instance-id: iid-bench-small\nlocal-hostname: web-1\n"
    user = ("#cloud-config\n"
            "hostname: web-1\n"
            "fqdn: web-1.example.org\n"
            "timezone: Europe/Paris\n"
            "ssh_authorized_keys:\n"
            f"  - {sshKey(rng, 'admin@example')}\n")
    return meta, user


def manyKeys(rng):
    meta = ["instance-id: iid-bench-many", "local-hostname: db-17.prod.example.org", "public-keys:"]
    for i in range(150):
        meta.append(f"  key{i:03}: {sshKey(rng, f'meta{i}@example')}")
    user = ["#cloud-config", "hostname: db-17", "fqdn: db-17.prod.example.org", "timezone: UTC",
            "ssh_authorized_keys:"]
    user += [f"  - {sshKey(rng, f'user{i}@example')}" for i in range(250)]
    user.append("packages:")
    user += [f"  - package-{i:03}" for i in range(300)]
    user.append("write_files:")
    for i in range(150):
        user += [f"  - path: /etc/bench/file-{i:03}.conf", "    permissions: '0644'", "    owner: root:root",
                 "    content: |", f"      # generated file {i}", f"      key_{i} = value-{rng.getrandbits(64):016x}"]
    user.append("runcmd:")
    user += [f"  - [ sh, -c, 'echo step {i}' ]" for i in range(200)]
    return "\n".join(meta) + "\n", "\n".join(user) + "\n"


def multipart(rng):
    meta = "instance-id: iid-bench-multi\nlocal-hostname: multi-1\n"
    msg = MIMEMultipart(boundary="==imprint-bench-boundary==")
    base = ("#cloud-config\nhostname: first\ntimezone: UTC\nssh_authorized_keys:\n"
            + "".join(f"  - {sshKey(rng, f'base{i}@example')}\n" for i in range(5)))
    msg.attach(MIMEText(base, "cloud-config", "us-ascii"))
    msg.attach(MIMEText("#!/bin/sh\necho never run by either side of the benchmark\n", "x-shellscript", "us-ascii"))
    override = ("#cloud-config\nhostname: app-3\nfqdn: app-3.cluster.example.net\ntimezone: Asia/Tokyo\n"
                "ssh_authorized_keys:\n" + "".join(f"  - {sshKey(rng, f'ovr{i}@example')}\n" for i in range(3)))
    part = MIMEText(override, "cloud-config", "utf-8")  # utf-8 makes the email package base64-encode it
    msg.attach(part)
    msg.attach(MIMEText("#cloud-boothook\n#!/bin/sh\necho boothook\n", "cloud-boothook", "us-ascii"))
    for i, p in enumerate(msg.get_payload()):
        p.add_header("Content-Disposition", "attachment", filename=f"part-{i}")
    return meta, msg.as_string()


def main():
    out = sys.argv[1]
    rng = random.Random(20240611)
    for name, gen in (("small", small), ("many-keys", manyKeys), ("multipart", multipart)):
        meta, user = gen(rng)
        write(out, name, meta, user)


if __name__ == "__main__":
    main()
