#!/usr/bin/env bash
# Cold start, side by side in one run: process start to the first successful response, for
#   - an empty ASP.NET Core app published as native AOT (bench/EmptyAot: the floor),
#   - the gateway as native AOT, standalone and as a Functions custom handler (FUNCTIONS_CUSTOMHANDLER_PORT),
#     answering its first *proxied* request (GET /data through to a warm local backend),
#   - the gateway as a JIT build (the same request).
# Each target is started RUNS times, one at a time, polled with curl in a tight loop from the moment it is started
# (as scripts/cold-start.sh does); the table shows the median, p90, min and max in ms, the resident set right after
# the first response, and each median as a ratio to the empty AOT app. Loopback only;
# every process is stopped on exit. Numbers for a human to compare, never assertions.
#
#   bench/coldstart.sh            # 20 runs per target
#   bench/coldstart.sh --quick    # 5 runs per target
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs=20
for arg in "$@"; do
  case "$arg" in
    --quick) runs=5 ;;
    *) echo "unknown argument: $arg (usage: bench/coldstart.sh [--quick])" >&2; exit 2 ;;
  esac
done
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_SERVICE_NAME OTEL_RESOURCE_ATTRIBUTES
out="$root/artifacts/bench"
tmp="$(mktemp -d)"
BENCH_NAME=coldstart
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

if ! command -v clang >/dev/null 2>&1; then
  log "ERROR: native AOT needs clang and zlib1g-dev (apt-get install clang zlib1g-dev; ./test.sh installs them too)"; exit 1
fi

publish backend "$root/bench/Backend/Backend.csproj" -p:PublishAot=false
publish empty-aot "$root/bench/EmptyAot/EmptyAot.csproj" -r linux-x64 -p:PublishAot=true
publish gateway-aot "$root/FunctionApp/FunctionApp.csproj" -r linux-x64 -p:PublishAot=true
publish gateway-jit "$root/FunctionApp/FunctionApp.csproj" -p:PublishAot=false

backend_port="$(free_port)"
start backend "$out/backend/BenchBackend" "$backend_port"
wait_ready backend "http://127.0.0.1:$backend_port/data"

gateway_port="$(free_port)"
cat >"$tmp/krakend.json" <<JSON
{
  "version": 3,
  "name": "coldstart",
  "listen_ip": "127.0.0.1",
  "port": $gateway_port,
  "timeout": "3s",
  "endpoints": [
    { "endpoint": "/data", "method": "GET", "output_encoding": "json",
      "backend": [ { "host": ["http://127.0.0.1:$backend_port"], "url_pattern": "/data", "encoding": "json" } ] }
  ]
}
JSON

once() { # once URL COMMAND...: "ms rss_mb" from starting COMMAND to its first 2xx at URL
  local url="$1" start end pid rss; shift
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "$url"; do
    kill -0 "$pid" 2>/dev/null || { log "ERROR: $* exited before answering $url"; exit 1; }
  done
  end=$(date +%s%N)
  rss="$(resident_mb "$pid")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(( (end - start) / 1000 )) $rss"
}

measure() { # measure LABEL URL COMMAND... -> "median p90 min max rss" (ms, MB)
  local label="$1" url="$2" i; shift 2
  log "measuring $label ($runs runs)"
  once "$url" "$@" >/dev/null # warm the file cache
  for i in $(seq "$runs"); do once "$url" "$@"; done | sort -n | awk '
    { ms[NR] = $1 / 1000; rss[NR] = $2 }
    END {
      m = (NR % 2) ? ms[(NR + 1) / 2] : (ms[NR / 2] + ms[NR / 2 + 1]) / 2
      p = ms[int(0.9 * NR + 0.999)]
      printf "%.1f %.1f %.1f %.1f %s\n", m, p, ms[1], ms[NR], rss[int((NR + 1) / 2)]
    }'
}

empty_port="$(free_port)"
rows=()
rows+=("empty ASP.NET Core app, native AOT (floor)|$(measure "empty AOT" "http://127.0.0.1:$empty_port/" "$out/empty-aot/BenchEmptyAot" "$empty_port")")
rows+=("gateway, native AOT, standalone|$(measure "gateway AOT" "http://127.0.0.1:$gateway_port/data" "$out/gateway-aot/FunctionApp" -c "$tmp/krakend.json")")
rows+=("gateway, native AOT, custom handler|$(measure "gateway AOT, custom handler" "http://127.0.0.1:$gateway_port/data" env FUNCTIONS_CUSTOMHANDLER_PORT="$gateway_port" GATEWAY_CONFIG="$tmp/krakend.json" "$out/gateway-aot/FunctionApp")")
rows+=("gateway, JIT, standalone|$(measure "gateway JIT" "http://127.0.0.1:$gateway_port/data" "$out/gateway-jit/FunctionApp" -c "$tmp/krakend.json")")

floor="$(cut -d'|' -f2 <<<"${rows[0]}" | awk '{ print $1 }')"
echo
echo "Cold start: process start to first successful response, $runs runs per target ($(machine))"
echo
echo "| target | median ms | p90 ms | min ms | max ms | RSS after first response MB | median × floor |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for row in "${rows[@]}"; do
  label="${row%%|*}"; read -r median p90 min max rss <<<"${row#*|}"
  ratio="$(awk -v a="$median" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')"
  echo "| $label | $median | $p90 | $min | $max | $rss | $ratio |"
done
