# The checks of the module's systemd units against units/, split from checks.nix for its size.
{
  repo,
  eval,
  check,
  classic,
  wrapper,
}:
let
  # ---- units: units/*.{service,path} and the module's units in one shape ---------------------
  # key -> its values split into words, every section together (no key is in two sections);
  # comments, section headers and X-StopOnRemoval (NixOS only) left out.
  words = v: builtins.filter (w: builtins.isString w && w != "") (builtins.split "[ \t]+" v);
  unitFile =
    name:
    let
      lines = builtins.filter builtins.isString (builtins.split "\n" (builtins.readFile (repo + "/units/${name}")));
      pairs = builtins.filter (m: m != null) (map (builtins.match "([A-Za-z]+)=(.*)") lines);
    in
    builtins.foldl' (
      acc: kv:
      acc
      // {
        ${builtins.elemAt kv 0} = (acc.${builtins.elemAt kv 0} or [ ]) ++ words (builtins.elemAt kv 1);
      }
    ) { } pairs;
  # The module's store path of imprint is `imprint` in units/ (found on PATH there).
  imprintExe = "/nix/store/00000000000000000000000000000000-imprint/bin/imprint";
  unitValue =
    v:
    if builtins.isBool v then
      [ (if v then "yes" else "no") ]
    else if builtins.isList v then
      builtins.concatLists (map unitValue v)
    else
      words (builtins.replaceStrings [ imprintExe ] [ "imprint" ] (toString v));
  nixosUnit =
    u:
    let
      lists = {
        Description = u.description or null;
        Documentation = u.documentation or [ ];
        Wants = u.wants or [ ];
        After = u.after or [ ];
        Before = u.before or [ ];
        Conflicts = u.conflicts or [ ];
        WantedBy = u.wantedBy or [ ];
      };
      sections = (u.unitConfig or { }) // (u.serviceConfig or { }) // (u.pathConfig or { });
      merged = lists // removeAttrs sections [ "X-StopOnRemoval" ];
      empty = builtins.filter (n: merged.${n} == null || merged.${n} == [ ]) (builtins.attrNames merged);
    in
    builtins.mapAttrs (n: unitValue) (removeAttrs merged empty);
  passEnvironments =
    c: map (n: c.systemd.services.${n}.serviceConfig.PassEnvironment) (builtins.attrNames c.systemd.services);
in
[
  # Units: the module declares what units/ ships, key for key (units/ is the reference).
  (check "classic: units" {
    services = builtins.attrNames classic.systemd.services;
    paths = builtins.attrNames classic.systemd.paths;
  } {
    services = [
      "imprint"
      "imprint-kubernetes"
      "imprint-local"
    ];
    paths = [ "imprint-kubernetes" ];
  })
  (check "classic: no unit file named like the transient rebuild unit"
    (classic.systemd.services ? imprint-rebuild)
    false)
  (check "units/imprint-local.service mirrored by the module"
    (nixosUnit classic.systemd.services.imprint-local)
    (unitFile "imprint-local.service"))
  (check "units/imprint.service mirrored by the module"
    (nixosUnit classic.systemd.services.imprint)
    (unitFile "imprint.service"))
  (check "units/imprint-kubernetes.service mirrored by the module"
    (nixosUnit classic.systemd.services.imprint-kubernetes)
    (unitFile "imprint-kubernetes.service"))
  (check "units/imprint-kubernetes.path mirrored by the module"
    (nixosUnit classic.systemd.paths.imprint-kubernetes)
    (unitFile "imprint-kubernetes.path"))
  # Spelled out as well, so that a wrong edit of units/ does not carry the module along.
  (check "imprint-local.service: early boot, local only, no rebuild" (
    let
      u = nixosUnit classic.systemd.services.imprint-local;
    in
    {
      inherit (u) DefaultDependencies Before ExecStart SuccessExitStatus Type;
    }
  ) {
    DefaultDependencies = [ "no" ];
    Before = [
      "network-pre.target"
      "imprint.service"
      "shutdown.target"
      "sshd.service"
      "systemd-user-sessions.service"
    ];
    ExecStart = [
      "imprint"
      "--no-systemd"
      "run"
      "--local-only"
      "--no-rebuild"
    ];
    SuccessExitStatus = [ "3" ];
    Type = [ "oneshot" ];
  })
  (check "imprint.service: notify, after network-online.target, before sshd, not before network-pre" (
    let
      u = nixosUnit classic.systemd.services.imprint;
    in
    {
      inherit (u) After Before Type TimeoutStartSec;
    }
  ) {
    After = [
      "network-online.target"
      "imprint-local.service"
      "dbus.service"
    ];
    Before = [
      "sshd.service"
      "systemd-user-sessions.service"
    ];
    Type = [ "notify" ];
    TimeoutStartSec = [ "5min" ];
  })
  (check "ExecStart is the package's imprint by absolute path" (
    map (n: builtins.head (builtins.split " " classic.systemd.services.${n}.serviceConfig.ExecStart)) (
      builtins.attrNames classic.systemd.services
    )
  ) (builtins.genList (_: "/nix/store/00000000000000000000000000000000-imprint/bin/imprint") 3))
  (check "every unit running imprint: never restarted or stopped by the switch, same conditions" (
    builtins.mapAttrs (n: u: {
      inherit (u) restartIfChanged;
      inherit (u.unitConfig) X-StopOnRemoval ConditionKernelCommandLine ConditionPathExists;
    }) classic.systemd.services
  ) (
    builtins.listToAttrs (
      map
        (name: {
          inherit name;
          value = {
            restartIfChanged = false;
            X-StopOnRemoval = false;
            ConditionKernelCommandLine = "!imprint=off";
            ConditionPathExists = "!/etc/imprint/imprint.disabled";
          };
        })
        [
          "imprint"
          "imprint-kubernetes"
          "imprint-local"
        ]
    )
  ))
  (check "kubernetes.env: a variable added is passed by every unit, the defaults stay" (
    passEnvironments (eval [
      {
        services.imprint = {
          enable = true;
          kubernetes.env.zone = "NODE_ZONE";
        };
      }
    ]).config
  ) (builtins.genList (_: "KUBERNETES_SERVICE_HOST NODE_NAME POD_IP HOST_IP SERVICE_ACCOUNT NODE_ZONE") 3))
  (check "kubernetes.env set in settings reaches PassEnvironment too" (
    passEnvironments (eval [
      {
        services.imprint = {
          enable = true;
          settings.kubernetes.env.node_name = "MY_NODE";
        };
      }
    ]).config
  ) (builtins.genList (_: "KUBERNETES_SERVICE_HOST NODE_NAME POD_IP HOST_IP SERVICE_ACCOUNT MY_NODE") 3))
  (check "wrapper: sources without kubernetes: no kubernetes units" {
    services = builtins.attrNames wrapper.systemd.services;
    paths = wrapper.systemd.paths;
  } {
    services = [
      "imprint"
      "imprint-local"
    ];
    paths = { };
  })
  (check "sources with kubernetes: kubernetes units, the path unit on podinfoDir" (
    let
      c = (eval [
        {
          services.imprint = {
            enable = true;
            sources = [ "kubernetes" ];
            kubernetes.podinfoDir = "/run/podinfo";
          };
        }
      ]).config;
    in
    {
      services = builtins.attrNames c.systemd.services;
      inherit (c.systemd.paths.imprint-kubernetes) pathConfig;
      condition = c.systemd.paths.imprint-kubernetes.unitConfig.ConditionPathIsDirectory;
    }
  ) {
    services = [
      "imprint"
      "imprint-kubernetes"
      "imprint-local"
    ];
    pathConfig = {
      PathChanged = "/run/podinfo";
      Unit = "imprint-kubernetes.service";
    };
    condition = "/run/podinfo";
  })
  (check "settings.kubernetes.podinfo_dir wins for the path unit as for imprint"
    (eval [
      {
        services.imprint = {
          enable = true;
          settings.kubernetes.podinfo_dir = "/srv/podinfo";
        };
      }
    ]).config.systemd.paths.imprint-kubernetes.pathConfig.PathChanged
    "/srv/podinfo")
]
