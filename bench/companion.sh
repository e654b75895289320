#!/usr/bin/env bash
# The companion's benchmark, in one process and one run: ingest throughput of a real gateway push (decode + ingest
# on one thread), /metrics render time at ~10k series side by side with prometheus-net and the OpenTelemetry
# Prometheus exporter, and retained memory per (instance, series) entry; printed as markdown tables with the targets
# of issue 5. Only loopback listeners (the OpenTelemetry exporter's); results are for a human to read, never asserted.
#
#   bench/companion.sh            # full: more repetitions and iterations (about 5 minutes on 2 shared cores)
#   bench/companion.sh --quick    # about a minute on 2 shared cores once built (30 s on a quiet machine)
#   bench/companion.sh --capture  # first re-capture bench/Companion/gateway-push.bin from a real gateway process
#                                 # (builds FunctionApp; combines with --quick)
set -euo pipefail

quick=0
capture=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --capture) capture=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg (usage: bench/companion.sh [--quick] [--capture])" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/artifacts/bench"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
# The captured gateway's telemetry comes from the generated config only, never from this shell's OTEL_* variables.
while read -r var; do [[ -n "$var" ]] && unset "$var"; done < <(compgen -e | grep '^OTEL_' || true)

log() { echo "[companion-bench] $*" >&2; }

build() { # build NAME PROJECT: Release build into artifacts/bench/NAME, quiet unless it fails
  local name="$1" project="$2" buildlog
  buildlog="$(mktemp -t companion-bench-build.XXXXXX)"
  log "building $name (Release)"
  if ! dotnet build "$project" -c Release -o "$out/$name" -nologo -v q >"$buildlog" 2>&1; then
    cat "$buildlog" >&2; rm -f "$buildlog"; log "ERROR: building $name failed"; exit 1
  fi
  rm -f "$buildlog"
}

if (( capture )); then
  # A JIT build of the gateway is enough to capture what it pushes (the bytes do not depend on AOT).
  build gateway-capture "$root/FunctionApp/FunctionApp.csproj"
fi
build companion "$root/bench/Companion/Companion.csproj"

if (( capture )); then
  log "capturing a real push from the gateway in Functions mode"
  "$out/companion/BenchCompanion" capture "$out/gateway-capture/FunctionApp" "$root/bench/Companion/gateway-push.bin" 70
  cp "$root/bench/Companion/gateway-push.bin" "$out/companion/gateway-push.bin"
fi

args=()
(( quick )) && args+=(--quick)
log "running (${args[*]:-full})"
"$out/companion/BenchCompanion" "${args[@]}"
