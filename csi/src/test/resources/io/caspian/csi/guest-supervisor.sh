#!/bin/bash
# Runs in the VM as java-vm.sh's COMMAND: keeps the node plugin running (restarting it when it dies, e.g. after the
# test's kill -9) and runs the shell requests the host test drops into CTL/req (NNN.sh -> NNN.out, NNN.rc): the
# host cannot see the guest's mounts, so it writes and checksums files through these.
# Usage: guest-supervisor.sh CTL_DIR COMMAND [ARG]...
# It polls with bash builtins only (read -t on a fifo, /proc reads): under TCG every fork costs 30-150 ms.
ctl=$1
shift
mkdir -p "$ctl/req"
mkfifo /tmp/supervisor.tick
exec 3<> /tmp/supervisor.tick
declare -A handled
pid=
starts=0
stop() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid"
  exit 0
}
trap stop TERM INT
alive() {
  local st
  [ -r "/proc/$1/stat" ] || return 1
  read -r _ _ st _ < "/proc/$1/stat" || return 1
  [ "$st" != Z ]
}
while true; do
  if [ -z "$pid" ] || ! alive "$pid"; then
    if [ -n "$pid" ]; then
      wait "$pid"
      echo "supervisor: node plugin $pid ended with status $?"
    fi
    starts=$((starts + 1))
    "$@" &
    pid=$!
    echo "$pid" > "$ctl/plugin.pid"
    echo "supervisor: started the node plugin, pid $pid (start $starts)"
  fi
  for f in "$ctl"/req/*.sh; do
    [ -e "$f" ] || continue
    [ -n "${handled[$f]}" ] && continue
    handled[$f]=1
    bash "$f" > "${f%.sh}.out" 2>&1
    printf '%s\n' "$?" > "${f%.sh}.rc"
  done
  read -r -t 0.2 -u 3 || true
done
