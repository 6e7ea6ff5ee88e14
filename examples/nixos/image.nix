# The golden image of the README: one qcow2, booted many times; each copy names itself
# (imprint) and rebuilds itself offline from what the image carries.
#
# The configuration that the copies rebuild must be the image's configuration itself, disk
# format included: a format module added only at image-build time (nixos-generators, the
# variants of system.build.images) would be missing from the in-guest rebuild, which then
# lacks fileSystems."/" and the boot loader. So the disk format is part of the configuration
# here (nixpkgs' disk-image.nix, which also builds system.build.image).
{ lib, modulesPath, ... }:
{
  imports = [
    "${modulesPath}/profiles/qemu-guest.nix"
    "${modulesPath}/virtualisation/disk-image.nix"
  ];

  image.format = "qcow2";

  services.openssh.enable = true;
  services.openssh.settings.PasswordAuthentication = false;

  # imprint's own options; the flake adds rebuild.flake.base = self.
  services.imprint = {
    enable = true;
    sources = [
      "nocloud"
      "configdrive"
      "openstack"
      "ec2"
    ];
    rebuild = {
      flake.attribute = "generic";
      # The copies are airgapped: never ask a binary cache, keep the flake inputs in the image.
      offline = true;
      buildDependencies = "host-change";
    };
  };

  # The copies rebuild with flakes.
  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];

  system.stateVersion = lib.trivial.release;
}
