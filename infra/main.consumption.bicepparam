// The classic Consumption (Y1, Linux) variant of infra/main.bicep, without azd:
//   az deployment sub create -l <region> -p infra/main.consumption.bicepparam
//   scripts/package.sh && scripts/deploy-consumption.sh
// (with azd: `azd env set HOSTING_PLAN Consumption`, `azd provision`, then scripts/deploy-consumption.sh).
// Names and region come from the same variables azd uses; see docs/plans.md for what this plan gives up.
using 'main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'gateway-consumption')
param location = readEnvironmentVariable('AZURE_LOCATION', 'westeurope')
param hostingPlan = 'Consumption'
param deployerPrincipalId = readEnvironmentVariable('AZURE_PRINCIPAL_ID', '')
