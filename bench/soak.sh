#!/usr/bin/env bash
# Memory over a long run: the gateway (native AOT when clang is installed) with every layer traced and metered and a
# per-invocation flush to a local OTLP sink (row (f) of bench/run.sh), loaded by wrk at a fixed concurrency for the
# whole run, its resident set sampled every 10 s. Prints the samples and the growth from the end of the first minute
# (warmed up) to the end. Loopback only; every process is stopped on exit. Never an assertion.
#
#   bench/soak.sh            # 5 minutes
#   bench/soak.sh --quick    # 1 minute
#   bench/soak.sh --heap     # the JIT build instead, dumped (createdump) after the first minute and at the end; the
#                            # objects still reachable in both are counted and compared (bench/HeapCensus): a leak
#                            # shows as live growth, garbage the GC has not yet collected does not
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
duration=300
heap=0
for arg in "$@"; do
  case "$arg" in
    --quick) duration=60 ;;
    --heap) heap=1 ;;
    *) echo "unknown argument: $arg (usage: bench/soak.sh [--quick] [--heap])" >&2; exit 2 ;;
  esac
done
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_SERVICE_NAME OTEL_RESOURCE_ATTRIBUTES
out="$root/artifacts/bench"
tmp="$(mktemp -d)"
BENCH_NAME=soak
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

command -v wrk >/dev/null 2>&1 || { log "ERROR: wrk is needed (apt-get install wrk; bench/run.sh installs it)"; exit 1; }
publish backend "$root/bench/Backend/Backend.csproj" -p:PublishAot=false
publish otlp-sink "$root/bench/OtlpSink/OtlpSink.csproj"
createdump=""
if (( heap )); then
  (( duration > 70 )) || { log "ERROR: --heap needs more than the first minute (drop --quick)"; exit 2; }
  runtime_dir="$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2; d = $3 } END { gsub(/[][]/, "", d); print d "/" v }')"
  createdump="$runtime_dir/createdump"
  [[ -x "$createdump" ]] || { log "ERROR: no createdump in $runtime_dir"; exit 1; }
  publish heap-census "$root/bench/HeapCensus/HeapCensus.csproj"
fi
if (( heap )); then
  publish gateway-jit "$root/FunctionApp/FunctionApp.csproj" -p:PublishAot=false
  gateway_bin="$out/gateway-jit/FunctionApp"; build="JIT, for --heap"
elif command -v clang >/dev/null 2>&1; then
  publish gateway-aot "$root/FunctionApp/FunctionApp.csproj" -r linux-x64 -p:PublishAot=true
  gateway_bin="$out/gateway-aot/FunctionApp"; build="native AOT"
else
  publish gateway-jit "$root/FunctionApp/FunctionApp.csproj" -p:PublishAot=false
  gateway_bin="$out/gateway-jit/FunctionApp"; build="JIT"
fi

backend_port="$(free_port)"
start backend "$out/backend/BenchBackend" "$backend_port"
wait_ready backend "http://127.0.0.1:$backend_port/data"
sink_port="$(free_port)"
start otlp-sink "$out/otlp-sink/BenchOtlpSink" "$sink_port"
wait_ready otlp-sink "http://127.0.0.1:$sink_port/stats"

gateway_port="$(free_port)"
cat >"$tmp/krakend.json" <<JSON
{
  "version": 3,
  "name": "soak",
  "listen_ip": "127.0.0.1",
  "port": $gateway_port,
  "timeout": "3s",
  "extra_config": {
    "telemetry/opentelemetry": {
      "service_name": "soak",
      "trace_sample_rate": 1,
      "metric_reporting_period": 5,
      "exporters": { "otlp": [ { "name": "sink", "host": "127.0.0.1", "port": $sink_port, "use_http": true } ] }
    }
  },
  "endpoints": [
    { "endpoint": "/data", "method": "GET", "output_encoding": "json",
      "backend": [ { "host": ["http://127.0.0.1:$backend_port"], "url_pattern": "/data", "encoding": "json" } ] },
    { "endpoint": "/merged", "method": "GET", "output_encoding": "json",
      "backend": [ { "host": ["http://127.0.0.1:$backend_port"], "url_pattern": "/data", "encoding": "json" },
                   { "host": ["http://127.0.0.1:$backend_port"], "url_pattern": "/data2", "encoding": "json" } ] }
  ]
}
JSON
start gateway env GATEWAY_TELEMETRY_FLUSH=invocation GATEWAY_TELEMETRY_FLUSH_BUDGET=1s "$gateway_bin" -c "$tmp/krakend.json"
gateway_pid=$last_pid
wait_ready gateway "http://127.0.0.1:$gateway_port/data"

# Both endpoints, alternately, so every layer and both pipelines stay busy.
cat >"$tmp/alternate.lua" <<'LUA'
local paths = { "/data", "/merged" }
local n = 0
request = function() n = n + 1; return wrk.format("GET", paths[(n % 2) + 1]) end
LUA
log "loading the gateway for $duration s (wrk -t2 -c16), sampling its resident set every 10 s"
start wrk wrk -t2 -c16 -d"${duration}s" -s "$tmp/alternate.lua" "http://127.0.0.1:$gateway_port"
wrk_pid=$last_pid
samples=()
elapsed=0
while kill -0 "$wrk_pid" 2>/dev/null && (( elapsed < duration )); do
  sleep 10; elapsed=$(( elapsed + 10 ))
  samples+=("$elapsed $(resident_mb "$gateway_pid")")
  if (( heap && elapsed == 60 )); then "$createdump" -f "$tmp/after-60s.dmp" "$gateway_pid" >"$tmp/createdump.log" 2>&1; fi
  if (( heap && elapsed == duration - 10 )); then "$createdump" -f "$tmp/at-end.dmp" "$gateway_pid" >>"$tmp/createdump.log" 2>&1; fi
done
wait "$wrk_pid" 2>/dev/null || true
requests="$(awk '/requests in/ { print $1 }' "$tmp/wrk.log")"
non2xx="$(awk '/Non-2xx/ { print $NF }' "$tmp/wrk.log")"

echo
echo "Memory over a $duration s run: gateway ($build), full telemetry, per-invocation flush; $(machine)"
echo "$requests requests, ${non2xx:-0} non-2xx"
echo
echo "| s | RSS MB |"
echo "|---:|---:|"
for sample in "${samples[@]}"; do read -r s mb <<<"$sample"; echo "| $s | $mb |"; done
first="$(printf '%s\n' "${samples[@]}" | awk '$1 >= 60 { print $2; exit }')"
last="$(printf '%s\n' "${samples[@]}" | tail -n 1 | awk '{ print $2 }')"
echo
awk -v a="$first" -v b="$last" 'BEGIN { if (a == "" || b == "") print "too short to compare"; else printf "after the first minute: %.1f MB; at the end: %.1f MB; growth %.1f MB (%.1f %%)\n", a, b, b - a, (b - a) * 100 / a }'
if (( heap )); then
  echo
  echo "Objects still reachable (a census of each dump from its roots):"
  echo
  if [[ -f "$tmp/after-60s.dmp" && -f "$tmp/at-end.dmp" ]]; then
    "$out/heap-census/BenchHeapCensus" "$tmp/after-60s.dmp" "$tmp/at-end.dmp"
  else
    log "ERROR: a dump is missing"; cat "$tmp/createdump.log" >&2; exit 1
  fi
fi
