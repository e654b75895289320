#!/usr/bin/env bash
# Deploys both packages to the classic Consumption (Y1, Linux) variant of infra/ (hostingPlan=Consumption), where
# each app runs from its package blob (WEBSITE_RUN_FROM_PACKAGE, read with the apps' managed identity):
#   1. uploads artifacts/package/gateway.zip and companion.zip to the containers deployment-gateway and
#      deployment-companion (`az storage blob upload --auth-mode login`: the account takes no keys; infra/ gives the
#      deploying principal Storage Blob Data Contributor);
#   2. restarts each app so it mounts the new package, and syncs its triggers (needed when an app on the Consumption
#      plan runs from a package URL).
# Flex Consumption (the default plan) is deployed by `azd deploy` / `az functionapp deployment source config-zip`.
#
#   scripts/deploy-consumption.sh                   # after `azd provision`: names from `azd env get-values`
#   scripts/deploy-consumption.sh --package-dir DIR # zips from DIR instead of artifacts/package
#
# Reads RESOURCE_GROUP, STORAGE_ACCOUNT_NAME, GATEWAY_APP_NAME, COMPANION_APP_NAME and HOSTING_PLAN (the deployment
# outputs) from the environment, else from `azd env get-values`. Runs scripts/package.sh first when a zip is missing.
# Needs the Azure CLI, signed in.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
packages="$root/artifacts/package"

while [ $# -gt 0 ]; do
  case "$1" in
    --package-dir) packages="${2:?--package-dir needs a folder}"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "deploy-consumption.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

if [ -z "${RESOURCE_GROUP:-}" ] && command -v azd >/dev/null 2>&1; then
  # Only the outputs this script needs, as shell assignments (azd prints NAME="value" lines).
  eval "$(azd env get-values | grep -E '^(RESOURCE_GROUP|STORAGE_ACCOUNT_NAME|GATEWAY_APP_NAME|COMPANION_APP_NAME|HOSTING_PLAN)=')"
fi

for name in RESOURCE_GROUP STORAGE_ACCOUNT_NAME GATEWAY_APP_NAME COMPANION_APP_NAME; do
  if [ -z "${!name:-}" ]; then
    echo "deploy-consumption.sh: $name is not set (run \`azd provision\`, or export the deployment outputs)" >&2
    exit 1
  fi
done

if [ "${HOSTING_PLAN:-Consumption}" != "Consumption" ]; then
  echo "deploy-consumption.sh: the environment is on $HOSTING_PLAN; deploy it with \`azd deploy\`" >&2
  exit 1
fi

if [ ! -f "$packages/gateway.zip" ] || [ ! -f "$packages/companion.zip" ]; then
  "$root/scripts/package.sh" --output "$packages"
fi

deploy() {
  local service="$1" app="$2"
  echo "deploy-consumption.sh: $service → $app" >&2
  az storage blob upload --auth-mode login --only-show-errors --overwrite \
    --account-name "$STORAGE_ACCOUNT_NAME" --container-name "deployment-$service" \
    --name "$service.zip" --file "$packages/$service.zip"
  az functionapp restart --resource-group "$RESOURCE_GROUP" --name "$app"
  az resource invoke-action --resource-group "$RESOURCE_GROUP" --name "$app" \
    --resource-type Microsoft.Web/sites --action syncfunctiontriggers --output none
}

# The companion first: the gateway pushes to it.
deploy companion "$COMPANION_APP_NAME"
deploy gateway "$GATEWAY_APP_NAME"
