# The checks of overlays merged into images (priority table, media, classic), split from checks.nix.
{
  lib,
  pkgs,
  repo,
  classicOverlayFile,
  eval,
  check,
  fails,
  failedAssertions,
  yaml,
  wrapperModule,
  growfsOptions,
}:
let
  # The host name of a system of this module, the classic overlay's import and `modules`.
  classicHostName =
    modules:
    (lib.evalModules {
      modules = [
        ./stub/nixos.nix
        (repo + "/nix-module/module.nix")
        (import (repo + "/nix-module/classic-overlay.nix") classicOverlayFile)
      ] ++ modules;
      specialArgs = { inherit pkgs; };
    }).config.networking.hostName;

  # ---- the overlay merged into the image (what the wrapper flake's extendModules does) -------
  withOverlay = (eval [
    ./fixtures/image.nix
    wrapperModule
    ./fixtures/host.nix
  ]).config;

  # The priority table of ../../../shared/reference/nixos.md, measured on real NixOS: the stub
  # must give the same answers, or its other verdicts are worthless.
  hostNameWith =
    image: overlay:
    (eval [
      { networking.hostName = image; }
      ({ lib, ... }: { networking.hostName = overlay lib; })
    ]).config.networking.hostName;

  # ---- an image built with nixpkgs' disk-image.nix: all of fileSystems at mkImageMediaOverride --
  mediaImage = ./fixtures/media-image.nix;
  # Overlays as imprint renders them (tests/unit/render.cc writes these golden files): the root
  # file system at the image's priorities (60 outside), and at plain ones.
  renderedForMedia = repo + "/tests/fixtures/golden/image-media-override.nix";
  renderedPlain = repo + "/tests/fixtures/golden/full.nix";
  onMedia = (eval [
    mediaImage
    wrapperModule
  ]).config;
  onMediaWithOverlay = (eval [
    mediaImage
    wrapperModule
    renderedForMedia
  ]).config;

  deviceWith =
    overlay:
    (eval [
      ./fixtures/image.nix
      ({ lib, ... }: { fileSystems."/".device = overlay lib; })
    ]).config.fileSystems."/".device;
in
[
  # The overlay on top of the image.
  (check "overlay: hostname, domain, time zone" {
    inherit (withOverlay.networking) hostName domain;
    inherit (withOverlay.time) timeZone;
  } {
    hostName = "web-1";
    domain = "example.org";
    timeZone = "Europe/Berlin";
  })
  (check "overlay: root device replaced, the image's other sub-options kept" withOverlay.fileSystems."/" {
    device = "/dev/vda3";
    label = null;
    fsType = "ext4";
    autoResize = true;
    options = growfsOptions;
  })
  (check "overlay: keys of image and host both kept" withOverlay.users.users.root.openssh.authorizedKeys.keys [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIImage image@build"
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHost host@example"
  ])
  (check "overlay: facts" withOverlay.services.imprint.facts {
    labels."app.kubernetes.io/name" = "web";
    platform.region = "eu-central-1";
  })
  (check "overlay: no failed assertion, no warning" (failedAssertions withOverlay ++ withOverlay.warnings) [ ])
  (check "overlay: a label in the image is cleared"
    (eval [
      { fileSystems."/".label = "nixos"; }
      ./fixtures/host.nix
    ]).config.fileSystems."/".label
    null)
  (check "overlay: the admin's mkForce still wins"
    (eval [
      ./fixtures/host.nix
      ({ lib, ... }: { networking.hostName = lib.mkForce "pinned"; })
    ]).config.networking.hostName
    "pinned")

  # The measured priority table, reproduced.
  (check "table: image plain vs overlay mkOverride 90" (hostNameWith "image-host" (lib: lib.mkOverride 90 "web-1")) "web-1")
  (fails "table: image plain vs overlay plain conflicts" (hostNameWith "image-host" (lib: "web-1")))
  (check "table: image plain vs overlay mkDefault: image wins silently" (hostNameWith "image-host" (lib: lib.mkDefault "web-1")) "image-host")
  (fails "table: image mkDefault vs overlay mkDefault conflicts" (
    (eval [
      ({ lib, ... }: { networking.hostName = lib.mkDefault "kexec"; })
      ({ lib, ... }: { networking.hostName = lib.mkDefault "web-1"; })
    ]).config.networking.hostName
  ))
  (check "table: image mkDefault vs overlay plain" (
    (eval [
      ({ lib, ... }: { networking.hostName = lib.mkDefault "kexec"; })
      { networking.hostName = "web-1"; }
    ]).config.networking.hostName
  ) "web-1")
  (check "table: nothing in the image, overlay plain" ((eval [ { networking.hostName = "web-1"; } ]).config.networking.hostName) "web-1")
  (fails "table: device plain vs plain conflicts" (deviceWith (lib: "/dev/vda1")))
  (check "table: device vs overlay mkDefault: image wins silently" (deviceWith (lib: lib.mkDefault "/dev/vda1")) "/dev/disk/by-label/nixos")
  (check "table: device vs overlay mkOverride 90" (deviceWith (lib: lib.mkOverride 90 "/dev/vda1")) "/dev/vda1")
  (check "table: device vs overlay mkForce" (deviceWith (lib: lib.mkForce "/dev/vda1")) "/dev/vda1")
  (check "image media override (disk-image.nix) beats the overlay's root device" (
    (eval [
      ({ lib, ... }: {
        fileSystems = lib.mkImageMediaOverride {
          "/" = {
            device = "/dev/disk/by-label/nixos";
            autoResize = true;
            fsType = "ext4";
          };
        };
      })
      ./fixtures/host.nix
    ]).config.fileSystems."/".device
  ) "/dev/disk/by-label/nixos")
  (check "image media: the module reads the image's priorities off the evaluation" {
    inherit ((yaml onMedia).overlay) file_systems_priority root_file_system_priority;
  } {
    file_systems_priority = 60;
    root_file_system_priority = 100;
  })
  (check "image media: the overlay rendered at them replaces the root device, keeps the rest" {
    root = onMediaWithOverlay.fileSystems."/";
    boot = onMediaWithOverlay.fileSystems."/boot".device;
  } {
    root = {
      device = "/dev/disk/by-uuid/0b2c7a8e-4f1d-4c1b-9a51-3f0e5d6c7b8a";
      label = null;
      fsType = "ext4";
      autoResize = true;
      options = growfsOptions;
    };
    boot = "/dev/disk/by-label/ESP";
  })
  (check "image media: with the overlay in, the module still reads 60 and 100 (a fixed point)" {
    inherit ((yaml onMediaWithOverlay).overlay) file_systems_priority root_file_system_priority;
  } {
    file_systems_priority = 60;
    root_file_system_priority = 100;
  })
  (check "image media: no failed assertion, no warning" (
    failedAssertions onMediaWithOverlay ++ onMediaWithOverlay.warnings
  ) [ ])
  (check "an image whose \"/\" entry is mkDefault: the module reads 100 and 1000" (
    (yaml (eval [
      ({ lib, ... }: {
        fileSystems."/" = lib.mkDefault {
          device = "/dev/disk/by-label/nixos";
          fsType = "ext4";
        };
      })
      wrapperModule
    ]).config).overlay
  ) {
    path = "/var/lib/imprint/flake/host.nix";
    priority = 90;
    file_systems_priority = 100;
    root_file_system_priority = 1000;
  })
  (check "image media: an overlay rendered at plain priorities is dropped (why the settings exist)" (
    (eval [
      mediaImage
      wrapperModule
      renderedPlain
    ]).config.fileSystems."/".device
  ) "/dev/disk/by-label/nixos")
  (check "plain image: the overlay rendered by imprint replaces the root device" (
    (eval [
      ./fixtures/image.nix
      wrapperModule
      renderedPlain
    ]).config.fileSystems."/"
  ) {
    device = "/dev/disk/by-uuid/0b2c7a8e-4f1d-4c1b-9a51-3f0e5d6c7b8a";
    label = null;
    fsType = "ext4";
    autoResize = true;
    options = growfsOptions;
  })
  (fails "undeclared option is an error" ((eval [ { networking.hostname = "typo"; } ]).config.networking))

  # Classic mode: this module imports the overlay from its fixed path when it exists.
  (check "classic import: overlay read when present and in classic mode" (
    if classicOverlayFile == null then
      "skipped"
    else
      classicHostName [
        ./fixtures/image.nix
        { services.imprint.enable = true; }
      ]
  ) (if classicOverlayFile == null then "skipped" else "web-1"))
  (check "classic import: ignored in wrapper mode" (
    if classicOverlayFile == null then
      "skipped"
    else
      classicHostName [ wrapperModule ]
  ) (if classicOverlayFile == null then "skipped" else "nixos"))
]
