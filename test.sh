#!/usr/bin/env bash
# Runs every test of the solution. Installs what the tests need first:
#   - clang and zlib (Debian packages) for the native AOT publish test;
#   - promtool (Debian package prometheus) for the Prometheus exposition check;
#   - Azurite (npm package azurite, into artifacts/tools) for the companion's Blob Storage persistence tests;
#   - the OpenTelemetry JS metrics SDK (npm, Tests/js-otel-client/package*.json, into artifacts/js-otel-client) for the
#     companion's foreign-client test.
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Routing").
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

if ! command -v clang >/dev/null 2>&1 || [ ! -e /usr/include/zlib.h ]; then
  echo "test.sh: installing clang and zlib1g-dev for native AOT" >&2
  apt_install clang zlib1g-dev
fi

if ! command -v promtool >/dev/null 2>&1; then
  echo "test.sh: installing prometheus (promtool) for the exposition check" >&2
  apt_install --no-install-recommends prometheus
fi

if [ ! -x artifacts/tools/node_modules/.bin/azurite-blob ]; then
  echo "test.sh: installing azurite (npm) into artifacts/tools for the companion persistence tests" >&2
  npm install --prefix "$PWD/artifacts/tools" --no-audit --no-fund --loglevel=error azurite@3.37.0 >/dev/null
fi

# Reinstalled whenever Tests/js-otel-client/package.json or its lock changes (not nested in artifacts/tools: npm would
# take that npm project for the root).
js_client="artifacts/js-otel-client"
if ! cmp -s Tests/js-otel-client/package.json "$js_client/package.json" \
  || ! cmp -s Tests/js-otel-client/package-lock.json "$js_client/package-lock.json" \
  || [ ! -e "$js_client/node_modules/@opentelemetry/sdk-metrics/package.json" ]; then
  echo "test.sh: installing the OpenTelemetry JS packages (npm) into $js_client for the companion's foreign-client test" >&2
  rm -rf "$js_client"
  mkdir -p "$js_client"
  cp Tests/js-otel-client/package.json Tests/js-otel-client/package-lock.json "$js_client/"
  npm ci --prefix "$PWD/$js_client" --no-audit --no-fund --loglevel=error >/dev/null || { rm -f "$js_client/package.json"; exit 1; }
fi

results="artifacts/test-results"
rm -rf "$results"
dotnet test Serverless.sln --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@"
