// The gateway on Azure Functions Flex Consumption, azd layout (see azure.yaml and README "Deploy").
// Two function apps share one storage account, one Application Insights and one user-assigned identity:
//   - gateway:   the KrakenD-compatible gateway (function `gateway`);
//   - companion: the metrics companion (functions `metrics`, `otlp`), provisioned now; its functions arrive later.
// Raw resources only (no registry modules), so `bicep build` works offline.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used for the resource group name, resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region for every resource; it must offer Flex Consumption.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Memory per gateway instance (MB).')
@allowed([
  512
  2048
  4096
])
param gatewayInstanceMemoryMB int = 2048

@description('Maximum number of on-demand gateway instances.')
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
  }
}

module companion 'app/functionapp.bicep' = {
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
    disabledFunctions: [
      'gateway'
      companionMetricsAnonymous ? 'metrics' : 'metrics-anonymous'
    ]
    appSettings: { GATEWAY_ROLE: 'companion' }
  }
  dependsOn: [
    rbac
  ]
}

module gateway 'app/functionapp.bicep' = {
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
    disabledFunctions: [
      'metrics'
      'metrics-anonymous'
      'otlp'
    ]
    appSettings: empty(gatewayConfig) ? {} : { GATEWAY_CONFIG: gatewayConfig }
    companionAppName: companion.outputs.name
  }
  dependsOn: [
    rbac
  ]
}

output AZURE_LOCATION string = location
output RESOURCE_GROUP string = rg.name
output GATEWAY_APP_NAME string = gateway.outputs.name
output COMPANION_APP_NAME string = companion.outputs.name
output GATEWAY_URL string = 'https://${gateway.outputs.defaultHostName}'
output METRICS_URL string = 'https://${companion.outputs.defaultHostName}/metrics'
