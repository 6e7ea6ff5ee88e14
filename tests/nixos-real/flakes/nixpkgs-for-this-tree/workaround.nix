# WORKAROUND for the 26.11 tree of ../shared/nixpkgs only (its README): the tree lacks the
# generated hackage-packages.nix, so nothing that reaches haskellPackages evaluates, and every
# default NixOS system does through writeShellApplication, which reads
# shellcheck-minimal.compiler.bootstrapAvailable. A trivial stand-in that says GHC is not
# available (as on platforms without it) makes writeShellApplication skip its shellcheck.
# Not needed, and not to be copied, with a complete nixpkgs.
final: prev: {
  shellcheck-minimal =
    prev.runCommand "shellcheck-minimal-workaround-for-this-tree"
      { passthru.compiler.bootstrapAvailable = false; }
      ''
        mkdir -p $out/bin
        ln -s ${prev.coreutils}/bin/true $out/bin/shellcheck
      '';
}
