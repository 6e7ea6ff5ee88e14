# The administrator's deliberate choices win over the overlay in every form, on every shape of
# image; overlays rendered for other priorities (a stale imprint.yaml, no module, a user flake)
# never lose anything silently.
{
  e,
  onImage,
  common,
}:
let
  inherit (e) lib;
  inherit (common) check identity;
  id = identity;

  # One image per shape of the root file system: plain "/" (nixos-generators), all of
  # fileSystems at lib.mkImageMediaOverride (current disk-image.nix), "/" alone at 60
  # (cloudstack), "/" at lib.mkDefault (amazon), and the image that forces the host name.
  shapes = [
    "nixos-generators-qcow"
    "disk-image-media-override"
    "cloudstack"
    "amazon"
    "proxmox"
  ];

  forced = {
    device = "/dev/sda9";
    fsType = "xfs";
  };
  choices = {
    # Both leaves: on an image whose "/" is lib.mkDefault (amazon), a plain-priority "/" entry
    # (which a leaf definition is) replaces the image's, so a device alone has no fsType there,
    # with or without imprint.
    "mkForce on the leaves fileSystems.\"/\".device and .fsType" = {
      fileSystems."/".device = lib.mkForce forced.device;
      fileSystems."/".fsType = lib.mkForce forced.fsType;
    };
    "mkForce on the fileSystems.\"/\" entry" = {
      fileSystems."/" = lib.mkForce forced;
    };
    "mkForce on all of fileSystems" = {
      fileSystems = lib.mkForce { "/" = forced; };
    };
    # proxmox forces the name itself (lib.mkForce ""): an equal mkForce there is a conflict in
    # nixpkgs, with or without imprint; the administrator goes one stronger (49).
    "mkForce on networking.hostName" = image: {
      networking.hostName = (if image == "proxmox" then lib.mkOverride 49 else lib.mkForce) "chosen-by-admin";
    };
  };

  rootAndName = sys: {
    root = common.rootOf sys;
    hostName = sys.config.networking.hostName;
  };

  warned =
    sys:
    lib.sort (a: b: a < b) (
      lib.unique (map (w: lib.head (builtins.match "imprint: ([^ ]+) .*" w)) (common.imprintWarnings sys))
    );

  # What the overlay asked for and did not get, from the final configuration.
  lost =
    sys:
    let
      c = sys.config;
      r = c.fileSystems."/" or { };
    in
    lib.sort (a: b: a < b) (
      lib.optional (c.networking.hostName != id.hostName) "networking.hostName"
      ++ lib.optional (c.networking.domain != id.domain) "networking.domain"
      ++ lib.optional ((r.device or null) != id.device) "fileSystems.\"/\".device"
      ++ lib.optional ((r.fsType or null) != id.fsType) "fileSystems.\"/\".fsType"
    );

  adminCase =
    image: choice:
    let
      # The host's own configuration with the choice: what it gives without imprint's overlay...
      chosen = choices.${choice};
      sysA = onImage image [ (if builtins.isFunction chosen then chosen image else chosen) ];
      p = common.priorities sysA;
      golden = common.goldenFor (common.rootKind sysA) p;
      # ... and with the overlay rendered at the priorities the module computed.
      sys = sysA.extendModules { modules = [ (common.overlayFile golden) ]; };
      label = "admin ${choice} on ${image} (${golden})";
      before = rootAndName sysA;
      after = rootAndName sys;
      # Where the choice reaches the configuration without the overlay, it must with it; where
      # the image itself beats the choice (a leaf at plain priority under lib.mkImageMediaOverride),
      # the overlay joins the image as usual.
      keptRoot = before.root.device == forced.device;
      keptName = before.hostName == "chosen-by-admin";
    in
    [
      (check "${label}: rendered for the priorities ${builtins.toJSON p}" (builtins.pathExists (e.golden golden)) true)
      (check "${label}: no failed assertion" (common.failedAssertions sys) [ ])
      (check "${label}: the root file system" after.root (
        if keptRoot then
          before.root
        else
          before.root
          // {
            inherit (id) device fsType;
            label = null;
          }
      ))
      (check "${label}: the host name" after.hostName (
        if keptName || sysA.options.networking.hostName.highestPrio <= 50 then before.hostName else id.hostName
      ))
      (check "${label}: what the overlay did not get is named in a warning" (warned sys) (lost sys))
      (check "${label}: and in /etc/imprint/not-applied.json, for imprint status after the rebuild" (builtins.fromJSON
        sys.config.environment.etc."imprint/not-applied.json".text
      ) (lib.filter (w: lib.hasPrefix "imprint: " w) sys.config.warnings))
    ];

  # Overlays rendered for other priorities than the image has.
  stale =
    image: golden: want:
    let
      sys = onImage image [ (common.overlayFile golden) ];
    in
    check "stale ${golden} on ${image}: warned about ${builtins.toJSON want}" (lib.filter (o: builtins.elem o want) (
      warned sys
    )) want;
in
lib.concatMap (image: lib.concatMap (adminCase image) (lib.attrNames choices)) shapes
++ [
  # Plain priorities on an image that wraps fileSystems in mkImageMediaOverride: the overlay's
  # root device is dropped by nixpkgs; the overlay's own check says so.
  (stale "disk-image-media-override" "full.nix" [ "fileSystems.\"/\".device" ])
  # Plain priorities on an image whose "/" is mkDefault: the overlay replaces the entry and
  # autoResize goes; the module says so.
  (stale "amazon" "full.nix" [ "fileSystems.\"/\"" ])
  # mkImageMediaOverride priorities on a plain image: the overlay alone defines fileSystems,
  # /boot goes; the module says so.
  (stale "disk-image-plain" "image-media-override.nix" [ "fileSystems" ])
  # A hand-set priority in services.imprint.settings that the image does not have.
  (
    let
      sys = onImage "amazon" [ { services.imprint.settings.overlay.root_file_system_priority = 100; } ];
    in
    check "settings.overlay.root_file_system_priority 100 on amazon (\"/\" at 1000): warned" (
      warned sys
    ) [ "services.imprint.settings.overlay.root_file_system_priority" ]
  )
]
