// The gateway on Azure Functions, azd layout (see azure.yaml and README "Deploy").
// Two function apps share one storage account, one Application Insights and one user-assigned identity:
//   - gateway:   the KrakenD-compatible gateway (function `gateway`);
//   - companion: the metrics companion (functions `metrics` or `metrics-anonymous`, and `otlp`).
// hostingPlan chooses the plan of both: Flex Consumption (FC1, default; app/functionapp.bicep) or classic Linux
// Consumption (Y1; app/functionapp-consumption.bicep, deployed with scripts/deploy-consumption.sh). docs/plans.md
// compares the plans.
// Raw resources only (no registry modules), so `bicep build` works offline.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used for the resource group name, resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region for every resource; it must offer the chosen hosting plan.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Plan of both function apps: FlexConsumption (FC1) or Consumption (classic Linux Y1, retiring 30 Sep 2028). See docs/plans.md.')
@allowed([
  'FlexConsumption'
  'Consumption'
])
param hostingPlan string = 'FlexConsumption'

@description('Principal (object) id of who deploys the code; with hostingPlan Consumption it gets Storage Blob Data Contributor to upload the packages. azd fills it in.')
param deployerPrincipalId string = ''

@description('Memory per gateway instance (MB); Flex Consumption only (Consumption instances have 1.5 GB).')
@allowed([
  512
  2048
  4096
])
param gatewayInstanceMemoryMB int = 2048

@description('Maximum number of on-demand gateway instances (Consumption: functionAppScaleLimit, at most 100).')
@minValue(1)
@maxValue(1000)
param gatewayMaximumInstanceCount int = 100

@description('Maximum number of on-demand companion instances.')
@minValue(1)
@maxValue(1000)
param companionMaximumInstanceCount int = 1

@description('Serve the companion\'s /metrics without a function key (for a Prometheus on a private network). OTLP ingest always needs the key.')
param companionMetricsAnonymous bool = false

@description('GATEWAY_CONFIG app setting of the gateway: a krakend.json path in the package or the JSON itself; empty uses the embedded default.')
param gatewayConfig string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}

var gatewayAppName = '${abbrs.webSitesFunctions}gateway-${resourceToken}'
var companionAppName = '${abbrs.webSitesFunctions}companion-${resourceToken}'
var isFlex = hostingPlan == 'FlexConsumption'

// What each app runs of the shared package, on either plan.
var gatewayDisabledFunctions = [
  'metrics'
  'metrics-anonymous'
  'otlp'
]
var companionDisabledFunctions = [
  'gateway'
  companionMetricsAnonymous ? 'metrics' : 'metrics-anonymous'
]
var gatewayAppSettings = empty(gatewayConfig) ? {} : { GATEWAY_CONFIG: gatewayConfig }
var companionAppSettings = { GATEWAY_ROLE: 'companion' }

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    principalId: identity.outputs.principalId
    deployerPrincipalId: isFlex ? '' : deployerPrincipalId
  }
}

module companion 'app/functionapp.bicep' = if (isFlex) {
  name: 'companion'
  scope: rg
  params: {
    name: companionAppName
    planName: '${abbrs.webServerFarms}companion-${resourceToken}'
    location: location
    tags: tags
    serviceName: 'companion'
    identityName: identity.outputs.name
    storageAccountName: storage.outputs.name
    deploymentContainerName: 'deployment-companion'
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    instanceMemoryMB: 512
    maximumInstanceCount: companionMaximumInstanceCount
    disabledFunctions: companionDisabledFunctions
    appSettings: companionAppSettings
  }
  dependsOn: [
    rbac
  ]
}

module gateway 'app/functionapp.bicep' = if (isFlex) {
  name: 'gateway'
  scope: rg
  params: {
    name: gatewayAppName
    planName: '${abbrs.webServerFarms}gateway-${resourceToken}'
    location: location
    tags: tags
    serviceName: 'gateway'
    identityName: identity.outputs.name
    storageAccountName: storage.outputs.name
    deploymentContainerName: 'deployment-gateway'
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    instanceMemoryMB: gatewayInstanceMemoryMB
    maximumInstanceCount: gatewayMaximumInstanceCount
    disabledFunctions: gatewayDisabledFunctions
    appSettings: gatewayAppSettings
    companionAppName: companionAppName
  }
  dependsOn: [
    rbac
    companion
  ]
}

module companionConsumption 'app/functionapp-consumption.bicep' = if (!isFlex) {
  name: 'companion-consumption'
  scope: rg
  params: {
    name: companionAppName
    planName: '${abbrs.webServerFarms}companion-${resourceToken}'
    location: location
    tags: tags
    identityName: identity.outputs.name
    storageAccountName: storage.outputs.name
    deploymentContainerName: 'deployment-companion'
    packageName: 'companion.zip'
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    maximumInstanceCount: companionMaximumInstanceCount
    disabledFunctions: companionDisabledFunctions
    appSettings: companionAppSettings
  }
  dependsOn: [
    rbac
  ]
}

module gatewayConsumption 'app/functionapp-consumption.bicep' = if (!isFlex) {
  name: 'gateway-consumption'
  scope: rg
  params: {
    name: gatewayAppName
    planName: '${abbrs.webServerFarms}gateway-${resourceToken}'
    location: location
    tags: tags
    identityName: identity.outputs.name
    storageAccountName: storage.outputs.name
    deploymentContainerName: 'deployment-gateway'
    packageName: 'gateway.zip'
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    maximumInstanceCount: gatewayMaximumInstanceCount
    disabledFunctions: gatewayDisabledFunctions
    appSettings: gatewayAppSettings
    companionAppName: companionAppName
  }
  dependsOn: [
    rbac
    companionConsumption
  ]
}

output AZURE_LOCATION string = location
output RESOURCE_GROUP string = rg.name
output HOSTING_PLAN string = hostingPlan
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output GATEWAY_APP_NAME string = gatewayAppName
output COMPANION_APP_NAME string = companionAppName
output GATEWAY_URL string = 'https://${isFlex ? gateway!.outputs.defaultHostName : gatewayConsumption!.outputs.defaultHostName}'
output METRICS_URL string = 'https://${isFlex ? companion!.outputs.defaultHostName : companionConsumption!.outputs.defaultHostName}/metrics'
