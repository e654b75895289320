// One Flex Consumption function app (plan FC1 + site) running the FunctionApp native binary as a custom handler.
// Used twice by main.bicep: the gateway and the metrics companion. Both apps are deployed from the same package
// layout; `AzureWebJobs.<function>.Disabled` settings make each app run only its own functions.
param name string
param planName string
param location string
param tags object

@description('azd service name (azure.yaml) this site is deployed from; becomes the azd-service-name tag.')
param serviceName string

param identityName string
param storageAccountName string

@description('Blob container (in the storage account) that Flex Consumption deploys the package from.')
param deploymentContainerName string

param applicationInsightsName string

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Functions of the shared package that this app must not run.')
param disabledFunctions array = []

@description('Extra app settings (name → value) for this app.')
param appSettings object = {}

@description('Name of the companion function app whose metrics endpoint this app pushes to; empty for none.')
param companionAppName string = ''

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource companionSite 'Microsoft.Web/sites@2024-04-01' existing = if (!empty(companionAppName)) {
  name: companionAppName
}

// App settings as a name/value list (siteConfig.appSettings). Never FUNCTIONS_WORKER_RUNTIME,
// FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE or the other settings Flex Consumption rejects: the runtime
// comes from functionAppConfig.runtime and the package from functionAppConfig.deployment.
var baseSettings = [
  { name: 'AzureWebJobsStorage__accountName', value: storage.name }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsights.properties.ConnectionString }
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  }
]

var disabledSettings = map(disabledFunctions, fn => { name: 'AzureWebJobs.${fn}.Disabled', value: 'true' })

var companionSettings = empty(companionAppName)
  ? []
  : [
      { name: 'METRICS_COMPANION_URL', value: 'https://${companionSite!.properties.defaultHostName}/v1/metrics' }
      {
        name: 'METRICS_COMPANION_KEY'
        value: listKeys('${companionSite!.id}/host/default', '2023-12-01').functionKeys.default
      }
    ]

var extraSettings = map(items(appSettings), setting => { name: setting.key, value: setting.value })

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'custom'
        version: '1.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: concat(baseSettings, disabledSettings, companionSettings, extraSettings)
    }
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
