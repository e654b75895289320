#!/usr/bin/env bash
# Cold start, side by side: time from process start to the first *proxied* response (GET /ping on the embedded
# default config, which the gateway proxies to its own /__debug/ endpoint), for the JIT build and the native AOT
# build of the same commit, on this machine, in one run.
#
#   scripts/cold-start.sh            # 20 starts of each build
#   RUNS=5 scripts/cold-start.sh     # quicker
set -euo pipefail

RUNS="${RUNS:-20}"
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/artifacts/cold-start"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

if ! command -v clang >/dev/null 2>&1; then
  echo "native AOT needs clang: installing it (apt-get)" >&2
  apt-get update -qq && apt-get install -y -qq clang zlib1g-dev >/dev/null
fi

echo "publishing JIT (framework-dependent) and native AOT builds..." >&2
dotnet publish "$root/FunctionApp/FunctionApp.csproj" -c Release -p:PublishAot=false -o "$out/jit" --nologo -v quiet >/dev/null
dotnet publish "$root/FunctionApp/FunctionApp.csproj" -c Release -r linux-x64 -p:PublishAot=true -o "$out/aot" --nologo -v quiet >/dev/null

free_port() {
  local port
  while :; do
    port=$(( 20000 + RANDOM % 20000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

# Prints milliseconds from exec to the first 200 from a proxied endpoint.
measure_once() {
  local binary="$1" port start end pid
  port="$(free_port)"
  start=$(date +%s%N)
  "$binary" -p "$port" >/dev/null 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/ping"; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "gateway exited early" >&2; return 1; fi
  done
  end=$(date +%s%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo $(( (end - start) / 1000000 ))
}

stats() { # median min max of the numbers on stdin
  sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%d %d %d\n", m, a[1], a[NR] }'
}

declare -A median min max
for build in jit aot; do
  measure_once "$out/$build/FunctionApp" >/dev/null # warm the file cache
  results="$(for _ in $(seq "$RUNS"); do measure_once "$out/$build/FunctionApp"; done)"
  read -r median[$build] min[$build] max[$build] <<<"$(echo "$results" | stats)"
done

size_jit=$(du -sk "$out/jit" | cut -f1); mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
size_aot=$(du -k "$out/aot/FunctionApp" | cut -f1)
echo
echo "Cold start to first proxied response ($RUNS runs each; $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F))"
printf '| build | median ms | min ms | max ms | size |\n|---|---|---|---|---|\n'
printf '| JIT (framework-dependent) | %s | %s | %s | %s MiB (folder, plus the shared runtime) |\n' "${median[jit]}" "${min[jit]}" "${max[jit]}" "$(mib "$size_jit")"
printf '| native AOT | %s | %s | %s | %s MiB (one file) |\n' "${median[aot]}" "${min[aot]}" "${max[aot]}" "$(mib "$size_aot")"
awk -v j="${median[jit]}" -v a="${median[aot]}" 'BEGIN { if (a > 0) printf "AOT starts %.1fx faster than JIT (median).\n", j / a }'
