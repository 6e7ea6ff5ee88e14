# services.imprint: the priorities at which this configuration defines `fileSystems` and its
# "/" entry, read for the overlay's root file system (settings overlay.file_systems_priority and
# overlay.root_file_system_priority), and the warnings about an overlay rendered for others.
# Uses only builtins and lib.modules, so tests/nix's stub lib evaluates it too.
{
  lib,
  options,
  cfg,
}:
let
  # The priorities at which the image defines `fileSystems` as a whole and its "/" entry.
  # nixpkgs filters definitions by priority at each of those levels before it merges
  # sub-options: nixpkgs' disk-image.nix wraps all of `fileSystems` in lib.mkImageMediaOverride
  # (60), and a plain `fileSystems."/".device = ...` elsewhere is then dropped whatever its own
  # priority; amazon's image defines "/" at lib.mkDefault, and a plain "/" elsewhere replaces it
  # with its autoResize. imprint writes the overlay's root file system at these priorities
  # (settings overlay.file_systems_priority and overlay.root_file_system_priority), so that it
  # is merged with the image's.
  #
  # Read off this configuration's own definitions, leaving out the overlay's: those whose every
  # attribute is an override at exactly overlay.priority (device, label, fsType of "/", as the
  # renderer writes them). Otherwise an overlay rendered with stale priorities would be measured
  # as the image and its mistake kept at every later run. They are literals (numbers read from
  # the settings), so reading them here is no recursion.
  #
  # A priority of 50 or less is a deliberate lib.mkForce (yours, or an image's): the overlay
  # must lose to it, so it is rendered at plain priority there, where nixpkgs drops it.
  overlayPrio = cfg.overlay.priority;
  isOverride = v: builtins.isAttrs v && (v._type or "") == "override";
  prioOf = v: if isOverride v then v.priority else 100;
  contentOf = v: if isOverride v then v.content else v;
  discharge = lib.modules.dischargeProperties or (v: [ v ]);
  pushDown = lib.modules.pushDownProperties or (v: [ v ]);
  overlayShaped =
    v:
    let
      c = contentOf v;
    in
    builtins.isAttrs c
    && !(c ? _type)
    && c != { }
    && builtins.all (x: isOverride x && x.priority == overlayPrio) (builtins.attrValues c);
  fileSystemDefs = options.fileSystems.definitionsWithLocations or [ ];
  # Every definition of the "/" entry that survived the filter at the level of `fileSystems`.
  rootDefs = builtins.concatMap (
    def:
    builtins.concatMap (
      v: lib.optionals (builtins.isAttrs v && v ? "/") (map (x: def // { value = x; }) (discharge v."/"))
    ) (pushDown def.value)
  ) fileSystemDefs;
  imageRootDefs = builtins.filter (d: !overlayShaped d.value) rootDefs;
  overlayRootDefs = builtins.filter (d: overlayShaped d.value) rootDefs;
  minPrio = defs: builtins.foldl' (a: b: if a < b then a else b) 100000 (map (d: prioOf d.value) defs);
  # Only the overlay defines `fileSystems` at the winning priority: it dropped everything else
  # (a stale lib.mkOverride 60 on an image that is no longer a mkImageMediaOverride one).
  overlayOnlyTop =
    fileSystemDefs != [ ]
    && builtins.all (
      d: builtins.all (v: builtins.attrNames v == [ "/" ] && builtins.all overlayShaped (discharge v."/")) (pushDown d.value)
    ) fileSystemDefs;
  yieldToForce = p: if p <= 50 then 100 else p;
  topPrio = options.fileSystems.highestPrio or 100;
  fileSystemsPriority = yieldToForce (if overlayOnlyTop then 100 else topPrio);
  rootFileSystemPriority = yieldToForce (if imageRootDefs == [ ] then 100 else minPrio imageRootDefs);
  filesOf = defs: builtins.concatStringsSep ", " (map toString (builtins.attrNames (builtins.listToAttrs (map (d: { name = toString d.file; value = null; }) defs))));

  # What the overlay's definitions of the root file system did to the image's, when it was
  # rendered with other priorities than this configuration has (a stale imprint.yaml, or none):
  # said in a warning, never silently.
  rootFileSystemWarnings =
    lib.optional (overlayRootDefs != [ ] && imageRootDefs != [ ] && minPrio overlayRootDefs < minPrio imageRootDefs)
      "imprint: fileSystems.\"/\" is the overlay's definition at priority ${toString (minPrio overlayRootDefs)} (${filesOf overlayRootDefs}), which replaces the image's entry at priority ${toString (minPrio imageRootDefs)} (${filesOf imageRootDefs}): its other sub-options (autoResize, options) are dropped. The overlay was rendered for other priorities; imprint renders it at ${toString rootFileSystemPriority} (overlay.root_file_system_priority) at its next run."
    ++ lib.optional (overlayOnlyTop && topPrio < 100)
      "imprint: fileSystems is only the overlay's definition at priority ${toString topPrio} (${filesOf fileSystemDefs}): every other definition of fileSystems (the image's \"/\", /boot) is dropped. The overlay was rendered for other priorities; imprint renders it at ${toString fileSystemsPriority} (overlay.file_systems_priority) at its next run."
    ++ lib.optional ((cfg.settings.overlay.file_systems_priority or fileSystemsPriority) != fileSystemsPriority)
      "imprint: services.imprint.settings.overlay.file_systems_priority is ${toString cfg.settings.overlay.file_systems_priority}, but this configuration defines fileSystems at ${toString fileSystemsPriority}: the overlay's root file system will be dropped or will drop the image's."
    ++ lib.optional ((cfg.settings.overlay.root_file_system_priority or rootFileSystemPriority) != rootFileSystemPriority)
      "imprint: services.imprint.settings.overlay.root_file_system_priority is ${toString cfg.settings.overlay.root_file_system_priority}, but this configuration defines fileSystems.\"/\" at ${toString rootFileSystemPriority}: the overlay's root file system will be dropped or will drop the image's other sub-options (autoResize)."
    ;
in
{
  inherit fileSystemsPriority rootFileSystemPriority;
  warnings = rootFileSystemWarnings;
}
