# Sourced by the scenario's driver inside the guest. The driver records what it sees into
# /var/lib/imprint-test/out/; the host asserts on those files after poweroff.
OUT=/var/lib/imprint-test/out
mkdir -p "$OUT"

# step NAME ARGV...: runs ARGV, keeps its stdout, stderr and exit code under NAME.
step() {
  local name=$1
  shift
  "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
  echo $? >"$OUT/$name.rc"
}

# settle UNIT: waits (up to 60 s) until UNIT is no longer starting or stopping.
settle() {
  local i state
  for i in $(seq 1 600); do
    state=$(systemctl show -P ActiveState "$1")
    case "$state" in
      activating|deactivating|reloading) sleep 0.1 ;;
      *) return 0 ;;
    esac
  done
  echo "settle: $1 still $state after 60 s" >>"$OUT/driver-errors"
  return 1
}

# wait_done UNIT: waits (up to 120 s) until UNIT's main process has finished: imprint.service is
# Type=notify and keeps running after READY=1 until its rebuild is over.
wait_done() {
  local i a s
  for i in $(seq 1 1200); do
    a=$(systemctl show -P ActiveState "$1")
    s=$(systemctl show -P SubState "$1")
    case "$a/$s" in
      activating/*|deactivating/*|reloading/*|active/running|active/start*) sleep 0.1 ;;
      *) return 0 ;;
    esac
  done
  echo "wait_done: $1 still $a/$s after 120 s" >>"$OUT/driver-errors"
  return 1
}

# quiesce: every imprint unit done, the rebuild included.
quiesce() {
  local u
  for u in imprint-local.service imprint.service imprint-kubernetes.service imprint-rebuild.service; do
    wait_done "$u"
  done
}

# mark TEXT: a line in the journal the host can find its place by.
mark() {
  echo "IMPRINT-TEST-MARK $*" | systemd-cat -t imprint-test
}

# finish: the journal of this boot next to the other results, flushed to disk.
finish() {
  journalctl -b --no-pager -o short-monotonic >"$OUT/journal.txt" 2>&1
  journalctl -b --no-pager -o json >"$OUT/journal.json" 2>&1
  if [ -c /dev/ttyS0 ] && [ -n "$SERIAL_DUMP" ]; then
    find "$OUT" -type f ! -name 'journal*' | sort | while read -r f; do
      echo "IMPRINT-TEST-FILE-BEGIN ${f#$OUT/}" >/dev/ttyS0
      cat "$f" >/dev/ttyS0
      echo "IMPRINT-TEST-FILE-END ${f#$OUT/}" >/dev/ttyS0
    done
  fi
  echo done >"$OUT/driver-finished"
  sync
}

# snapshot NAME: what imprint left behind at this moment, under $OUT/NAME/.
snapshot() {
  local d="$OUT/$1"
  mkdir -p "$d"
  quiesce
  hostnamectl hostname >"$d/hostname" 2>&1
  cat /etc/hostname >"$d/etc-hostname" 2>&1
  for f in /var/lib/imprint/host.nix /var/lib/imprint/host.nix.previous /var/lib/imprint/state.json \
           /run/imprint/instance.json /var/lib/imprint-test/rebuild-argv /run/imprint-test-mounts.log; do
    [ -e "$f" ] && cp "$f" "$d/"
  done
  systemctl is-active imprint.service >"$d/is-active" 2>&1
  systemctl show imprint.service -p ActiveState -p SubState -p Result -p ExecMainStatus \
    -p ConditionResult -p ExecMainStartTimestampMonotonic -p ExecMainExitTimestampMonotonic \
    >"$d/imprint.service" 2>&1
  systemctl show imprint-local.service -p ActiveState -p Result -p ExecMainStatus -p ConditionResult \
    -p ExecMainStartTimestampMonotonic -p ExecMainExitTimestampMonotonic >"$d/imprint-local.service" 2>&1
  imprint --json status >"$d/status.json" 2>"$d/status.err"
  echo $? >"$d/status.rc"
  imprint status >"$d/status.txt" 2>&1
  true
}
