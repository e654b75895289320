#!/usr/bin/env bash
# Throughput and latency, side by side, in one run: the same tiny backend measured directly, behind nginx, behind
# YARP and behind our gateway (one backend, and two backends merged): with telemetry off, then with every layer
# traced and metered and exported over OTLP/HTTP to a local sink, in the background and with a per-invocation flush.
# Everything runs on 127.0.0.1 of this machine; every load is a bounded wrk run; every process started here is
# stopped on exit. Results are ratios for a human to read, never assertions.
#
#   bench/run.sh            # 15 s per target, 3 repetitions, median
#   bench/run.sh --quick    # 5 s per target, 1 repetition
#   bench/run.sh --jit      # the gateway's JIT build even when clang could build native AOT (combines with --quick)
#   bench/run.sh --chart    # also draws the req/s column into docs/bench-throughput.svg (combines with the others)
set -euo pipefail

quick=0
chart=0
jit=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --chart) chart=1 ;;
    --jit) jit=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg (usage: bench/run.sh [--quick] [--jit] [--chart])" >&2; exit 2 ;;
  esac
done
if (( quick )); then DURATION=5; REPS=1; WARMUP=5; else DURATION=15; REPS=3; WARMUP=10; fi
THREADS=2
CONNECTIONS=32

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/artifacts/bench"
tmp="$(mktemp -d -t gateway-bench.XXXXXX)"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
# The gateway's telemetry comes from the generated configs only, never from this shell's OTEL_* variables.
while read -r var; do [[ -n "$var" ]] && unset "$var"; done < <(compgen -e | grep '^OTEL_' || true)
load_at_start="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"

log() { echo "[bench] $*" >&2; }

# --- child processes: every one is recorded and stopped on exit -------------------------------------------------
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
running() { # running PID: alive and not a zombie (a child that exited stays a zombie until waited for)
  local state; state="$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null || true)"
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}
stop() { # stop PID: stops one child started here (SIGTERM: graceful, SIGKILL after 15 s) and forgets it, so cleanup
          # never signals that pid again
  local pid="$1" kept=() p i
  kill "$pid" 2>/dev/null || true
  for i in $(seq 150); do running "$pid" || break; sleep 0.1; done
  if running "$pid"; then log "WARNING: pid $pid still running 15 s after SIGTERM: SIGKILL"; kill -9 "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
  for p in "${pids[@]}"; do [[ "$p" == "$pid" ]] || kept+=("$p"); done
  pids=("${kept[@]}")
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools ----------------------------------------------------------------------------------------------------------
apt_install() { # apt_install PACKAGE...: best effort; the caller checks the command afterwards
  command -v apt-get >/dev/null 2>&1 || return 1
  local sudo=""; (( EUID == 0 )) || sudo="sudo"
  $sudo apt-get install -y -qq "$@" >"$tmp/apt.log" 2>&1 && return 0
  $sudo apt-get update -qq >>"$tmp/apt.log" 2>&1 && $sudo apt-get install -y -qq "$@" >>"$tmp/apt.log" 2>&1
}
nginx_bin="$(command -v nginx || true)"; [[ -z "$nginx_bin" && -x /usr/sbin/nginx ]] && nginx_bin=/usr/sbin/nginx
if ! command -v wrk >/dev/null 2>&1; then log "installing wrk (apt-get)"; apt_install wrk || true; fi
if [[ -z "$nginx_bin" ]]; then
  log "installing nginx (apt-get)"; apt_install nginx || true
  nginx_bin="$(command -v nginx || true)"; [[ -z "$nginx_bin" && -x /usr/sbin/nginx ]] && nginx_bin=/usr/sbin/nginx
fi
if ! command -v wrk >/dev/null 2>&1; then
  log "ERROR: wrk is not installed and 'apt-get install wrk' failed (see above); nothing can be measured without it."
  [[ -f "$tmp/apt.log" ]] && tail -5 "$tmp/apt.log" >&2
  exit 1
fi
[[ -n "$nginx_bin" ]] || log "WARNING: nginx is not installed and 'apt-get install nginx' failed: the nginx row is skipped."

# --- builds (Release) -----------------------------------------------------------------------------------------------
publish() { # publish NAME PROJECT ARGS...
  local name="$1" project="$2"; shift 2
  log "building $name"
  if ! dotnet publish "$project" -c Release -o "$out/$name" --nologo -v quiet "$@" >"$tmp/build-$name.log" 2>&1; then
    cat "$tmp/build-$name.log" >&2; log "ERROR: build of $name failed"; exit 1
  fi
}
publish backend "$root/bench/Backend/Backend.csproj" -p:PublishAot=false
publish yarp "$root/bench/YarpProxy/YarpProxy.csproj"
publish otlp-sink "$root/bench/OtlpSink/OtlpSink.csproj"
if (( ! jit )) && command -v clang >/dev/null 2>&1; then
  publish gateway-aot "$root/FunctionApp/FunctionApp.csproj" -r linux-x64 -p:PublishAot=true
  gateway_build="native AOT"
  gateway_bin="$out/gateway-aot/FunctionApp"
else
  (( jit )) || log "clang not found: measuring the JIT build of the gateway (install clang and zlib1g-dev for native AOT)"
  publish gateway-jit "$root/FunctionApp/FunctionApp.csproj" -p:PublishAot=false
  gateway_build="JIT"
  gateway_bin="$out/gateway-jit/FunctionApp"
fi

# --- processes ------------------------------------------------------------------------------------------------------
free_port() {
  local port
  while :; do
    port=$(( 20000 + RANDOM % 20000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

start() { # start NAME COMMAND...: runs COMMAND in the background, output to $tmp/NAME.log
  local name="$1"; shift
  "$@" >"$tmp/$name.log" 2>&1 &
  pids+=("$!")
  last_pid=$!
}

wait_ready() { # wait_ready NAME URL: up to 30 s for a 200
  local name="$1" url="$2" i
  for i in $(seq 300); do
    curl -sf -o /dev/null --max-time 1 "$url" && return 0
    if ! kill -0 "$last_pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  log "ERROR: $name did not answer $url"; cat "$tmp/$name.log" >&2; exit 1
}

backend_port="$(free_port)"
start backend "$out/backend/BenchBackend" "$backend_port"
backend_pid=$last_pid
wait_ready backend "http://127.0.0.1:$backend_port/data"

yarp_port="$(free_port)"
start yarp "$out/yarp/BenchYarpProxy" "$yarp_port" "http://127.0.0.1:$backend_port/"
yarp_pid=$last_pid
wait_ready yarp "http://127.0.0.1:$yarp_port/data"

sink_port="$(free_port)"
start otlp-sink "$out/otlp-sink/BenchOtlpSink" "$sink_port"
sink_pid=$last_pid
wait_ready otlp-sink "http://127.0.0.1:$sink_port/stats"

write_config() { # write_config FILE PORT EXTRA: the same two endpoints; EXTRA is inserted at the service level
  cat >"$1" <<EOF
{
  "version": 3,
  "name": "bench",
  "listen_ip": "127.0.0.1",
  "port": $2,
  "timeout": "3s",$3
  "endpoints": [
    {
      "endpoint": "/data",
      "method": "GET",
      "output_encoding": "json",
      "backend": [
        { "host": ["http://127.0.0.1:$backend_port"], "url_pattern": "/data", "encoding": "json" }
      ]
    },
    {
      "endpoint": "/merged",
      "method": "GET",
      "output_encoding": "json",
      "backend": [
        { "host": ["http://127.0.0.1:$backend_port"], "url_pattern": "/data", "encoding": "json" },
        { "host": ["http://127.0.0.1:$backend_port"], "url_pattern": "/data2", "encoding": "json" }
      ]
    }
  ]
}
EOF
}

# (e)/(f): no "layers" object, so every layer is on with KrakenD's defaults (global, proxy and backend metrics and
# traces, backend round trip, payload read and detailed connection); every request sampled; OTLP/HTTP protobuf to the
# local sink. Metrics every 5 s instead of KrakenD's 30 s, so that background metric exports land in a quick run too.
metric_period=5
flush_budget=1s
telemetry_config='
  "extra_config": {
    "telemetry/opentelemetry": {
      "service_name": "bench",
      "trace_sample_rate": 1,
      "metric_reporting_period": '"$metric_period"',
      "exporters": { "otlp": [ { "name": "sink", "host": "127.0.0.1", "port": '"$sink_port"', "use_http": true } ] }
    }
  },'

start_gateway() { # start_gateway NAME CONFIG PORT [VAR=VALUE...]: starts it, checks that /merged merges both backends
  local name="$1" config="$2" port="$3" body; shift 3
  start "$name" env "$@" "$gateway_bin" -c "$config" -p "$port"
  wait_ready "$name" "http://127.0.0.1:$port/data"
  body="$(curl -sf "http://127.0.0.1:$port/merged")"
  if [[ "$body" != *'"owner"'* || "$body" != *'"stock"'* ]]; then
    log "ERROR: $name: /merged does not merge /data and /data2: $body"; exit 1
  fi
}

gateway_port="$(free_port)"
write_config "$tmp/krakend.json" "$gateway_port" "" # no telemetry/opentelemetry section: telemetry is off
start_gateway gateway "$tmp/krakend.json" "$gateway_port"
gateway_pid=$last_pid

nginx_port=""
if [[ -n "$nginx_bin" ]]; then
  nginx_port="$(free_port)"
  mkdir -p "$tmp/nginx"
  # Logging off like every other target; every path nginx might write is inside the temp dir.
  cat >"$tmp/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  upstream backend {
    server 127.0.0.1:$backend_port;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
  chmod 755 "$tmp" # nginx workers may run as an unprivileged user
  start nginx "$nginx_bin" -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/nginx/error.log"
  nginx_pid=$last_pid
  wait_ready nginx "http://127.0.0.1:$nginx_port/data"
fi

# --- measuring ------------------------------------------------------------------------------------------------------
to_ms() { # 635.00us | 1.23ms | 1.01s | 12m -> milliseconds
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000; else if (u != "ms") n = -1
    printf "%.3f", n }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) exit; m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f", m }'; }

sink_stats() { curl -sf --max-time 5 "http://127.0.0.1:$sink_port/stats" || echo "unavailable=1"; }
stat_of() { # stat_of "k=v k=v ..." KEY
  awk -v k="$2" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) { print kv[2]; exit } } }' <<<"$1"
}

clock_ticks="$(getconf CLK_TCK 2>/dev/null || echo 100)"
cpu_ticks() { # cpu_ticks PID: user + system CPU ticks of PID and its direct children (nginx's workers)
  local total=0 p t
  for p in "$1" $(ps -o pid= --ppid "$1" 2>/dev/null || true); do
    t="$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || true)"
    total=$(( total + ${t:-0} ))
  done
  echo "$total"
}
now_ns() { date +%s%N; }

declare -A rps p50 p99 note requests cpu_us sink_before sink_after sink_cpu
targets=()
telemetry_rows=()
measure() { # measure KEY LABEL URL PID [sink]: PID is the server under test (its CPU per request is reported); with
            # "sink", what the OTLP sink received during the measured runs, and the CPU it used, are kept too
  local key="$1" label="$2" url="$3" pid="$4" with_sink="${5:-}" rep file r50 r99 rs errors ticks0 ticks1 sink0 sink1 t0 t1
  targets+=("$key"); note[$key]="$label"; requests[$key]=0
  log "warming up $label ($WARMUP s)"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$url" >/dev/null
  : >"$tmp/$key.rps"; : >"$tmp/$key.p50"; : >"$tmp/$key.p99"
  if [[ -n "$with_sink" ]]; then telemetry_rows+=("$key"); sink_before[$key]="$(sink_stats)"; fi
  ticks0="$(cpu_ticks "$pid")"; sink0="$(cpu_ticks "$sink_pid")"; t0="$(now_ns)"
  for rep in $(seq "$REPS"); do
    log "measuring $label ($DURATION s, run $rep/$REPS)"
    file="$tmp/$key.$rep.wrk"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url" >"$file"
    rs="$(awk '/^Requests\/sec:/ { print $2 }' "$file")"
    r50="$(awk '/Latency Distribution/ { d = 1 } d && $1 == "50%" { print $2; exit }' "$file")"
    r99="$(awk '/Latency Distribution/ { d = 1 } d && $1 == "99%" { print $2; exit }' "$file")"
    if [[ -z "$rs" || -z "$r50" || -z "$r99" ]]; then log "ERROR: cannot parse wrk output for $label:"; cat "$file" >&2; exit 1; fi
    requests[$key]=$(( ${requests[$key]} + $(awk '/ requests in / { print $1; exit }' "$file") ))
    errors="$(grep -E 'Non-2xx|Socket errors' "$file" || true)"
    [[ -n "$errors" ]] && log "WARNING: $label: $errors" && note[$key]="$label (errors, see log)"
    echo "$rs" >>"$tmp/$key.rps"; to_ms "$r50" >>"$tmp/$key.p50"; echo >>"$tmp/$key.p50"
    to_ms "$r99" >>"$tmp/$key.p99"; echo >>"$tmp/$key.p99"
  done
  ticks1="$(cpu_ticks "$pid")"; sink1="$(cpu_ticks "$sink_pid")"; t1="$(now_ns)"
  cpu_us[$key]="$(awk -v t=$(( ticks1 - ticks0 )) -v hz="$clock_ticks" -v n="${requests[$key]}" 'BEGIN { if (n > 0) printf "%.0f", t / hz * 1e6 / n }')"
  if [[ -n "$with_sink" ]]; then
    sink_after[$key]="$(sink_stats)"
    sink_cpu[$key]="$(awk -v t=$(( sink1 - sink0 )) -v hz="$clock_ticks" -v ns=$(( t1 - t0 )) 'BEGIN { printf "%.0f", t / hz / (ns / 1e9) * 100 }')"
  fi
  rps[$key]="$(median <"$tmp/$key.rps")"; p50[$key]="$(median <"$tmp/$key.p50")"; p99[$key]="$(median <"$tmp/$key.p99")"
}

measure direct "(a) backend direct /data" "http://127.0.0.1:$backend_port/data" "$backend_pid"
if [[ -n "$nginx_port" ]]; then
  measure nginx "(b) nginx → backend /data" "http://127.0.0.1:$nginx_port/data" "$nginx_pid"
else
  targets+=("nginx"); note[nginx]="(b) nginx → backend /data: skipped, nginx not installed"
fi
measure yarp "(c) YARP 2.3.0 → backend /data" "http://127.0.0.1:$yarp_port/data" "$yarp_pid"
measure gateway "(d) gateway ($gateway_build) /data" "http://127.0.0.1:$gateway_port/data" "$gateway_pid"
measure merged "(d2) gateway ($gateway_build) /merged (2 backends)" "http://127.0.0.1:$gateway_port/merged" "$gateway_pid"
stop "$gateway_pid"

# (e), then (f): one gateway at a time, so that each row's sink counts are its own.
bg_port="$(free_port)"
write_config "$tmp/krakend-otel-background.json" "$bg_port" "$telemetry_config"
start_gateway gateway-otel-background "$tmp/krakend-otel-background.json" "$bg_port" GATEWAY_TELEMETRY_FLUSH=background
gateway_pid=$last_pid
measure otel_bg "(e) gateway ($gateway_build) + telemetry, background export /data" "http://127.0.0.1:$bg_port/data" "$gateway_pid" sink
measure otel_bg_merged "(e2) gateway ($gateway_build) + telemetry, background export /merged" "http://127.0.0.1:$bg_port/merged" "$gateway_pid" sink
stop "$gateway_pid"

inv_port="$(free_port)"
write_config "$tmp/krakend-otel-invocation.json" "$inv_port" "$telemetry_config"
start_gateway gateway-otel-invocation "$tmp/krakend-otel-invocation.json" "$inv_port" \
  GATEWAY_TELEMETRY_FLUSH=invocation GATEWAY_TELEMETRY_FLUSH_BUDGET="$flush_budget"
gateway_pid=$last_pid
measure otel_inv "(f) gateway ($gateway_build) + telemetry, per-invocation flush /data" "http://127.0.0.1:$inv_port/data" "$gateway_pid" sink
measure otel_inv_merged "(f2) gateway ($gateway_build) + telemetry, per-invocation flush /merged" "http://127.0.0.1:$inv_port/merged" "$gateway_pid" sink
stop "$gateway_pid"

# --- report ---------------------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
mode="quick: ${DURATION} s, 1 run per target"; (( quick )) || mode="${DURATION} s × ${REPS} runs per target, median"
mem="$(free -m | awk '/Mem:/ { printf "%.1f GiB", $2 / 1024 }')"
cpu="$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo
echo "Throughput and latency on 127.0.0.1 (wrk -t$THREADS -c$CONNECTIONS --latency; $mode)"
echo "Machine: $(nproc) cores (${cpu:-unknown CPU}), $mem RAM; $(date -u '+%F %H:%M UTC'); load average at start $load_at_start;"
echo "wrk, backend, proxy (and the OTLP sink) share the cores; wall time $(( SECONDS / 60 )) min $(( SECONDS % 60 )) s, builds included."
echo
echo "| target | req/s | p50 ms | p99 ms | req/s vs direct | req/s vs YARP | server CPU µs / req |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for key in "${targets[@]}"; do
  if [[ -z "${rps[$key]:-}" ]]; then
    echo "| ${note[$key]} | - | - | - | - | - | - |"; continue
  fi
  printf '| %s | %.0f | %.2f | %.2f | %s | %s | %s |\n' "${note[$key]}" "${rps[$key]}" "${p50[$key]}" "${p99[$key]}" \
    "$(ratio "${rps[$key]}" "${rps[direct]}")" "$(ratio "${rps[$key]}" "${rps[yarp]:-}")" "${cpu_us[$key]:--}"
done
echo
echo "server CPU µs / req: user + system CPU time of the process answering wrk (the backend in (a), nginx's master and"
echo "workers in (b), the proxy or gateway otherwise; the backend behind a proxy is not included) over the measured runs,"
echo "divided by the requests completed: the cost per request, less sensitive than req/s to what else the cores run."
echo
echo "(e)/(f): every layer traced and metered (no \"layers\" object), trace_sample_rate 1, OTLP/HTTP protobuf to a local sink,"
echo "metrics every ${metric_period} s; (e) GATEWAY_TELEMETRY_FLUSH=background, (f) GATEWAY_TELEMETRY_FLUSH=invocation with"
echo "GATEWAY_TELEMETRY_FLUSH_BUDGET=$flush_budget. What the sink received during each row's measured runs (warm-up excluded):"
echo
echo "| target | gateway requests | trace exports | spans | spans / request | requests / trace export | metric exports | data points | MB received | sink CPU % |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
delta() { # delta KEY STAT: what the sink counted for KEY's measured runs
  local before after
  before="$(stat_of "${sink_before[$1]:-}" "$2")"; after="$(stat_of "${sink_after[$1]:-}" "$2")"
  if [[ -n "$before" && -n "$after" ]]; then echo $(( after - before )); fi
}
for key in "${telemetry_rows[@]}"; do
  traces="$(delta "$key" trace_requests)"; spans="$(delta "$key" spans)"; metrics="$(delta "$key" metric_requests)"
  points="$(delta "$key" data_points)"; trace_bytes="$(delta "$key" trace_bytes)"; metric_bytes="$(delta "$key" metric_bytes)"
  if [[ -z "$traces" || -z "$spans" || -z "$metrics" || -z "$points" || -z "$trace_bytes" || -z "$metric_bytes" ]]; then
    echo "| ${note[$key]} | ${requests[$key]} | - | - | - | - | - | - | - | - |"; continue
  fi
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %.1f | %s |\n' "${note[$key]}" "${requests[$key]}" "$traces" "$spans" \
    "$(ratio "$spans" "${requests[$key]}")" "$(ratio "${requests[$key]}" "$traces")" "$metrics" "$points" \
    "$(awk -v b="$(( trace_bytes + metric_bytes ))" 'BEGIN { print b / 1048576 }')" "${sink_cpu[$key]:--}"
done
totals="$(sink_stats)"
echo
echo "OTLP sink totals (warm-ups and start-up checks included): $totals"
for name in gateway-otel-background gateway-otel-invocation; do
  problems="$(grep -c -E '(warn|fail|crit): ' "$tmp/$name.log" || true)"
  if (( problems > 0 )); then
    echo "$name logged $problems warning/error line(s), the first: $(grep -m1 -E '(warn|fail|crit): ' "$tmp/$name.log")"
  fi
done
echo
echo "The companion's ingest rate and /metrics render time: bench/companion.sh; cold start: bench/coldstart.sh; memory"
echo "over a long run: bench/soak.sh."

# The throughput column as a chart (docs/bench-throughput.svg when run with --chart).
{
  for key in "${targets[@]}"; do
    [[ -n "${rps[$key]:-}" ]] && printf '%s\t%.0f\t%s\n' "${note[$key]}" "${rps[$key]}" "$(ratio "${rps[$key]}" "${rps[yarp]:-}")"
  done
} >"$out/throughput.tsv"
if (( chart )); then
  bash "$root/bench/chart.sh" "$out/throughput.tsv" "$mode, $(nproc) cores" >"$root/docs/bench-throughput.svg"
  log "wrote docs/bench-throughput.svg"
fi
