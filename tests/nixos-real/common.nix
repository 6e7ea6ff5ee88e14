# Helpers shared by the check groups.
{ e }:
let
  inherit (e) lib;
in
rec {
  check = name: got: want: {
    inherit name got want;
    ok = got == want;
  };

  # A value, or the error message's absence: tryEval catches throw and assert, which is how
  # NixOS reports failed assertions and unusable options (networking.fqdn).
  attempt =
    v:
    let
      r = builtins.tryEval (builtins.deepSeq v v);
    in
    if r.success then r.value else "<evaluation error>";

  failedAssertions = sys: map (a: a.message) (lib.filter (a: !a.assertion) sys.config.assertions);
  imprintWarnings = sys: lib.filter (w: lib.hasInfix "imprint" w) sys.config.warnings;

  # The priorities the module computes for the overlay (what it renders into imprint.yaml).
  priorities = sys: {
    inherit (sys.config.services.imprint.settings.overlay) file_systems_priority root_file_system_priority;
  };

  # What kind of root file system the image has: a disk (imprint finds its by-uuid device),
  # none (a container: no block device under "/") or a live one (tmpfs: ISO, netboot).
  rootKind =
    sys:
    let
      fs = sys.config.fileSystems;
    in
    if sys.config.boot.isContainer || !(fs ? "/") then
      "container"
    else if fs."/".fsType == "tmpfs" then
      "live"
    else
      "disk";

  rootOf =
    sys:
    let
      fs = sys.config.fileSystems;
    in
    if fs ? "/" then
      {
        inherit (fs."/") device fsType autoResize options label;
      }
    else
      null;

  bootOf =
    sys:
    let
      fs = sys.config.fileSystems;
    in
    if fs ? "/boot" then { inherit (fs."/boot") device fsType; } else null;

  drvPathOf =
    sys:
    let
      r = builtins.tryEval sys.config.system.build.toplevel.drvPath;
    in
    if r.success then r.value else "<evaluation error>";

  isDrv = p: builtins.isString p && lib.hasPrefix builtins.storeDir p && lib.hasSuffix ".drv" p;

  # The overlays imprint renders (tests/unit/render.cc writes these golden files with the real
  # renderer), by the priorities the module computed for the image: the rebuild evaluates the
  # overlay rendered with them. A disk image gets the full identity; containers and live media
  # have no root block device, so their identity has none.
  goldenFor =
    kind: p:
    if kind != "disk" then
      "no-root-device.nix"
    else
      {
        "100-100" = "full.nix";
        "60-100" = "image-media-override.nix";
        "100-60" = "full-root-at-60.nix";
        "100-1000" = "full-root-at-1000.nix";
      }
      ."${toString p.file_systems_priority}-${toString p.root_file_system_priority}"
        or "missing-for-priorities-${toString p.file_systems_priority}-${toString p.root_file_system_priority}";

  overlayFile =
    name:
    let
      f = e.golden name;
    in
    # A missing one (the module computed priorities no golden overlay is rendered for, e.g. a
    # mkForce's 50) fails the "rendered for the image's priorities" check; the others then
    # evaluate without an overlay and fail too, instead of stopping the whole evaluation.
    if builtins.pathExists f then f else { };

  # The identity of full.nix (tests/unit/render.cc fullInstance()).
  identity = {
    hostName = "web-1";
    domain = "example.org";
    device = "/dev/disk/by-uuid/0b2c7a8e-4f1d-4c1b-9a51-3f0e5d6c7b8a";
    fsType = "ext4";
    rootKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@example";
    deployKey = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7vbqajDhA2kGmfIHTf1n0Tb6vuMpyGxG6uF0cm8n9RJz bob";
    timeZone = "Europe/Paris";
    facts = {
      labels."app.kubernetes.io/component" = "web";
      platform.region = "eu-west-1";
    };
  };
}
