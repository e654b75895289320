#!/usr/bin/env bash
# Bytes, objects and CPU time per request of the gateway (see Program.cs and README.md). Builds bench/Backend and this
# harness in Release, starts the backend on a free loopback port (and, with --otlp, bench/OtlpSink for the OTLP
# scenarios), runs the harness against it, stops what it started.
#
#   bench/Allocations/run.sh [--otlp] [harness options]   e.g. --requests 20000 --types 25 --scenarios direct,off-data
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/artifacts/bench/allocations"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
while read -r var; do [[ -n "$var" ]] && unset "$var"; done < <(compgen -e | grep '^OTEL_' || true)

otlp=0
if [[ "${1:-}" == "--otlp" ]]; then otlp=1; shift; fi

dotnet publish "$root/bench/Backend/Backend.csproj" -c Release -o "$out/backend" -p:PublishAot=false --nologo -v quiet >/dev/null
dotnet build "$root/bench/Allocations/Allocations.csproj" -c Release -o "$out/harness" --nologo -v quiet >/dev/null
(( otlp )) && dotnet publish "$root/bench/OtlpSink/OtlpSink.csproj" -c Release -o "$out/otlp-sink" -p:PublishAot=false --nologo -v quiet >/dev/null

free_port() {
  local port
  while :; do
    port=$(( 20000 + RANDOM % 20000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

port="$(free_port)"
"$out/backend/BenchBackend" "$port" >/dev/null 2>&1 &
pids+=("$!")
for _ in $(seq 300); do curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$port/data" && break; sleep 0.1; done

extra=()
if (( otlp )); then
  sink_port="$(free_port)"
  "$out/otlp-sink/BenchOtlpSink" "$sink_port" >/dev/null 2>&1 &
  pids+=("$!")
  for _ in $(seq 300); do curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$sink_port/stats" && break; sleep 0.1; done
  extra=(--otlp-port "$sink_port")
fi

"$out/harness/BenchAllocations" --backend "http://127.0.0.1:$port" "${extra[@]}" "$@"
