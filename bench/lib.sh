# Shared by bench/coldstart.sh and bench/soak.sh (sourced): logging, Release publishes into artifacts/bench, free
# loopback ports, background processes that are all stopped on exit. The caller sets `root`, `out` and `tmp` first.

pids=()
bench_cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap bench_cleanup EXIT INT TERM

log() { echo "[${BENCH_NAME:-bench}] $*" >&2; }

publish() { # publish NAME PROJECT ARGS...
  local name="$1" project="$2"; shift 2
  log "building $name"
  if ! dotnet publish "$project" -c Release -o "$out/$name" --nologo -v quiet "$@" >"$tmp/build-$name.log" 2>&1; then
    cat "$tmp/build-$name.log" >&2; log "ERROR: build of $name failed"; exit 1
  fi
}

free_port() {
  local port
  while :; do
    port=$(( 20000 + RANDOM % 20000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

start() { # start NAME COMMAND...: runs COMMAND in the background, output to $tmp/NAME.log; its pid in $last_pid
  local name="$1"; shift
  "$@" >"$tmp/$name.log" 2>&1 &
  pids+=("$!")
  last_pid=$!
}

wait_ready() { # wait_ready NAME URL: up to 30 s for a 200 from the process started last
  local name="$1" url="$2" i
  for i in $(seq 300); do
    curl -sf -o /dev/null --max-time 1 "$url" && return 0
    if ! kill -0 "$last_pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  log "ERROR: $name did not answer $url"; cat "$tmp/$name.log" >&2; exit 1
}

resident_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "-"; }

machine() { echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"; }
