# The systemd units of services.imprint, declared the NixOS way. They mirror units/ in the
# repository (the files other distributions install) in ordering, types, conditions, timeouts
# and command lines; the comments at the top of each file there say why. Keep both in step.
#
#   imprint-local.service  early boot, before network-pre.target: a local source is committed and
#                          the live host name set; never rebuilds (`--local-only --no-rebuild`)
#   imprint.service        after network-online.target: metadata servers, then the rebuild;
#                          Type=notify, READY once the rebuild unit is queued
#   imprint-kubernetes.*   re-run when the downward-API volume changes (kubernetes source only)
#
# There is deliberately no unit for the rebuild here: imprint starts it as the transient unit
# imprint-rebuild.service (agent/apply/systemd-rebuild.hh). A transient unit has no file under
# /etc/systemd/system, so the switch it performs can neither stop nor restart it, and a unit
# file of that name would make StartTransientUnit fail.
#
# Every unit that runs imprint has restartIfChanged = false and X-StopOnRemoval = false (as
# nixpkgs' amazon-init): the rebuild may switch to a configuration in which the unit changed,
# and restarting or stopping it then would kill imprint mid-run (and start a second run).
{
  config,
  lib,
  pkgs,
  cfg,
  nixosRebuild,
}:

let
  inherit (lib) mkIf mkMerge;

  imprint = "${cfg.package}/bin/imprint";
  # What the rebuild needs on PATH; the transient rebuild unit inherits imprint's PATH.
  rebuildPath = [
    config.nix.package
    nixosRebuild
  ] ++ lib.optional (cfg.rebuild.mode == "flake") pkgs.gitMinimal;

  # settings wins over the typed options (they are rendered into it with mkDefault), so the
  # units read what imprint will read.
  k8s = cfg.settings.kubernetes or { };
  podinfoDir = k8s.podinfo_dir or cfg.kubernetes.podinfoDir;

  # Empty `sources` means every known source, kubernetes included.
  sources = cfg.settings.sources or [ ];
  kubernetesEnabled = sources == [ ] || builtins.elem "kubernetes" sources;

  # The pod's environment (fieldRef spec.nodeName, status.podIP, ...) reaches a service only when
  # passed on by name. imprint merges kubernetes.env into its built-in map, so the built-in
  # names are always passed; KUBERNETES_SERVICE_HOST is what detection looks at. Every unit that
  # runs imprint passes the same list, so the platform facts do not differ between the boot run
  # and a path-triggered run (a different overlay, a needless rebuild).
  passEnvironment = lib.concatStringsSep " " (
    lib.unique (
      [
        "KUBERNETES_SERVICE_HOST"
        "NODE_NAME"
        "POD_IP"
        "HOST_IP"
        "SERVICE_ACCOUNT"
      ]
      ++ builtins.attrValues (k8s.env or { })
    )
  );

  conditions = {
    ConditionKernelCommandLine = "!imprint=off";
    ConditionPathExists = "!/etc/imprint/imprint.disabled";
  };

  # Shared by the units that run imprint.
  # Options that give a unit its own mount namespace: not on imprint-local.service, whose seed
  # mount should stay visible to the administrator while it lasts (units/imprint-local.service).
  namespaced = {
    ProtectHome = true;
    PrivateTmp = true;
    ProtectKernelModules = true;
    ProtectKernelTunables = true;
    ProtectControlGroups = true;
  };
  runsImprint = {
    restartIfChanged = false;
    unitConfig = conditions // {
      X-StopOnRemoval = false;
    };
    serviceConfig = {
      PassEnvironment = passEnvironment;
      # systemd credentials (the credentials source; units/imprint.service says more): each a
      # system credential or one from /run/credstore, passed on if present.
      LoadCredential = [
        "imprint.source"
        "imprint.meta-data"
        "imprint.user-data"
        "system.hostname"
        "firstboot.hostname"
        "ssh.authorized_keys.root"
      ];
      # Hardening, as in units/: the rebuild runs in its own transient unit, untouched by this.
      NoNewPrivileges = true;
      RestrictAddressFamilies = "AF_UNIX AF_INET AF_INET6 AF_NETLINK";
      SystemCallArchitectures = "native";
      SystemCallFilter = "@system-service @mount sethostname";
      SystemCallErrorNumber = "EPERM";
      LockPersonality = true;
      MemoryDenyWriteExecute = true;
      RestrictRealtime = true;
      # No RestrictSUIDSGID: systemd makes openat2(2) fail under it, and imprint resolves every
      # path with openat2(RESOLVE_IN_ROOT) (units/imprint.service says more).
      RestrictNamespaces = true;
      UMask = "0022";
      StateDirectory = "imprint";
      RuntimeDirectory = "imprint";
      RuntimeDirectoryPreserve = true;
    };
  };
in
mkMerge [
  {
    systemd.services.imprint-local = lib.recursiveUpdate runsImprint {
      documentation = [ "https://github.com/imprint-nixos/imprint" ];
      description = "imprint: host identity from local seed media (before the network)";
      wantedBy = [ "multi-user.target" ];
      # Ordered on what it needs, not on all of local-fs.target (units/imprint-local.service says
      # why); imprint itself waits, bounded, for udev to probe the block devices present.
      wants = [ "network-pre.target" ];
      after = [
        "systemd-remount-fs.service"
        "systemd-journald.socket"
        "systemd-udevd.service"
        "systemd-udev-trigger.service"
      ];
      before = [
        "network-pre.target"
        "imprint.service"
        "shutdown.target"
        "sshd.service"
        "systemd-user-sessions.service"
      ];
      conflicts = [ "shutdown.target" ];
      unitConfig = {
        DefaultDependencies = false;
        RequiresMountsFor = "/var/lib/imprint /var/lib/cloud /etc/imprint";
      };
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
        # Runs before D-Bus: commits a local source and sets the host name with sethostname(2).
        ExecStart = "${imprint} --no-systemd run --local-only --no-rebuild";
        # 3: no source identified from local signals; not a failure of the boot.
        SuccessExitStatus = 3;
        TimeoutStartSec = "2min";
        StandardOutput = "journal";
        StandardError = "journal";
      };
    };

    systemd.services.imprint = lib.recursiveUpdate runsImprint {
      documentation = [ "https://github.com/imprint-nixos/imprint" ];
      description = "imprint: host identity and nixos-rebuild for this copy of the image";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [
        "network-online.target"
        "imprint-local.service"
        "dbus.service"
      ];
      before = [
        "sshd.service"
        "systemd-user-sessions.service"
      ];
      path = rebuildPath;
      serviceConfig = namespaced // {
        # READY=1 once the identity is committed and the rebuild unit queued: a oneshot would stay
        # "activating" through the rebuild, and units ordered after it that the switch restarts
        # (sshd) would wait for imprint, which waits for the switch.
        Type = "notify";
        NotifyAccess = "main";
        RemainAfterExit = true;
        ExecStart = "${imprint} run";
        # 3: no source identified (a bare boot of the golden image): nothing to do.
        SuccessExitStatus = 3;
        # Bounds the way to READY; the rebuild has its own bound (rebuild.timeout_ms).
        TimeoutStartSec = "5min";
        StandardOutput = "journal";
        StandardError = "journal";
      };
    };
  }

  # A change of the pod's labels or annotations (kubelet publishes a new version of the volume)
  # re-runs imprint. A unit of its own: imprint.service is RemainAfterExit, so a start job for it
  # after the boot run is a no-op.
  (mkIf kubernetesEnabled {
    systemd.paths.imprint-kubernetes = {
      documentation = [ "https://github.com/imprint-nixos/imprint" ];
      description = "Imprint: re-run when the Kubernetes downward API changes";
      wantedBy = [ "multi-user.target" ];
      # The directory, not `..data`: every step of kubelet's publication is an entry change there.
      pathConfig = {
        PathChanged = podinfoDir;
        Unit = "imprint-kubernetes.service";
      };
      unitConfig.ConditionPathIsDirectory = podinfoDir;
    };

    systemd.services.imprint-kubernetes = lib.recursiveUpdate runsImprint {
      documentation = [ "https://github.com/imprint-nixos/imprint" ];
      description = "Imprint: re-run after a change of the Kubernetes downward API";
      # Waits for the boot run instead of racing it for imprint's lock. Not ordered after the
      # transient imprint-rebuild.service: that dependency would keep the finished unit loaded and
      # the next StartTransientUnit would fail with UnitExists. imprint waits for a running one.
      after = [
        "imprint-local.service"
        "imprint.service"
      ];
      path = rebuildPath;
      serviceConfig = namespaced // {
        Type = "oneshot";
        ExecStart = "${imprint} run";
        TimeoutStartSec = "75min";
      };
    };
  })
]
