# The real nixpkgs tree, imported once: one package set shared by every configuration this tier
# evaluates (nixpkgs.pkgs), so one Nix process evaluates dozens of NixOS systems.
{ nixpkgs, repo }:
let
  tree = /. + nixpkgs;
  src = /. + repo;

  # WORKAROUND for this tree only (../shared/nixpkgs/README.md): it lacks the generated
  # hackage-packages.nix, so nothing that reaches haskellPackages evaluates, and every default
  # NixOS system does through writeShellApplication, which reads
  # shellcheck-minimal.compiler.bootstrapAvailable. A trivial stand-in that says GHC is not
  # available (as on platforms without it) makes writeShellApplication skip its shellcheck.
  # Not needed, and not to be copied, with a complete nixpkgs.
  workaround = final: prev: {
    shellcheck-minimal =
      prev.runCommand "shellcheck-minimal-workaround-for-this-tree"
        { passthru.compiler.bootstrapAvailable = false; }
        ''
          mkdir -p $out/bin
          ln -s ${prev.coreutils}/bin/true $out/bin/shellcheck
        '';
  };

  pkgs = import tree {
    system = "x86_64-linux";
    overlays = [ workaround ];
  };
  inherit (pkgs) lib;

  evalConfig = import (tree + "/nixos/lib/eval-config.nix");

  common = {
    nixpkgs.pkgs = pkgs;
    system.stateVersion = "26.11";
  };

  # A NixOS system from these modules, on the shared package set.
  system =
    modules:
    evalConfig {
      system = null;
      modules = [ common ] ++ modules;
    };
in
{
  inherit
    tree
    src
    pkgs
    lib
    system
    workaround
    ;
  module = src + "/nix-module/module.nix";
  golden = name: src + "/tests/fixtures/golden/${name}";
}
