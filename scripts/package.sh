#!/usr/bin/env bash
# Builds the deployment packages of the two function apps (see infra/ and azure.yaml):
#   artifacts/package/gateway.zip and artifacts/package/companion.zip (for `az functionapp deployment source config-zip`)
#   artifacts/package/app/ (the same app root unzipped: azure.yaml's `dist`, azd zips it itself)
# Both hold the same Functions app root: host.json, one folder per function (FunctionApp/*/function.json) and the
# native AOT binary `FunctionApp` (linux-x64, execute bit stored in the zip). Nothing else: no .dbg, no .pdb, no
# local.settings.json. Each app runs only its own functions through AzureWebJobs.<function>.Disabled settings.
#
#   scripts/package.sh                              # native AOT publish for linux-x64, then zip
#   scripts/package.sh --layout-only PUBLISH_DIR    # zip an already-published folder (no build)
#   scripts/package.sh --output DIR ...             # write the zips to DIR instead of artifacts/package
#
# Needs the .NET SDK; installs clang + zlib1g-dev (native AOT) and zip with apt-get when missing.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/artifacts/package"
publish=""
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

while [ $# -gt 0 ]; do
  case "$1" in
    --layout-only) publish="${2:?--layout-only needs the published folder}"; shift 2 ;;
    --output) out="${2:?--output needs a folder}"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "package.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

if [ -z "$publish" ]; then
  if ! command -v clang >/dev/null 2>&1 || [ ! -e /usr/include/zlib.h ]; then
    echo "package.sh: installing clang and zlib1g-dev for native AOT" >&2
    apt_install clang zlib1g-dev
  fi
  publish="$out/publish"
  rm -rf "$publish"
  echo "package.sh: native AOT publish (linux-x64) to $publish" >&2
  dotnet publish "$root/FunctionApp/FunctionApp.csproj" -c Release -r linux-x64 -p:PublishAot=true \
    -o "$publish" --nologo -v quiet >&2
fi
publish="$(cd "$publish" && pwd)"
[ -f "$publish/FunctionApp" ] || { echo "package.sh: $publish/FunctionApp not found" >&2; exit 1; }

if ! command -v zip >/dev/null 2>&1; then
  echo "package.sh: installing zip" >&2
  apt_install zip
fi

# The app root, staged in $out/app (azure.yaml's `dist`): host.json, <function>/function.json for every function
# of the source tree, the binary.
stage="$out/app"
rm -rf "$stage"
mkdir -p "$stage"
if [ -f "$publish/host.json" ]; then cp "$publish/host.json" "$stage/"; else cp "$root/host.json" "$stage/"; fi
for definition in "$root"/FunctionApp/*/function.json; do
  [ -e "$definition" ] || continue
  function_name="$(basename "$(dirname "$definition")")"
  mkdir -p "$stage/$function_name"
  cp "$definition" "$stage/$function_name/function.json"
done
cp "$publish/FunctionApp" "$stage/FunctionApp"
chmod 755 "$stage/FunctionApp"
chmod 644 "$stage/host.json" "$stage"/*/function.json

for app in gateway companion; do
  rm -f "$out/$app.zip"
  (cd "$stage" && zip -q -X -D -r "$out/$app.zip" .)
  echo "$out/$app.zip"
done
