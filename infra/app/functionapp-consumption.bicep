// One classic Consumption (Y1, Linux) function app (plan + site) running the FunctionApp native binary as a custom
// handler: what main.bicep deploys, twice, instead of functionapp.bicep when hostingPlan is 'Consumption' (see
// docs/plans.md). Same identity, host storage, Application Insights and per-app function switches as the Flex module;
// what the classic plan does differently:
//   - the stack is set with app settings: FUNCTIONS_EXTENSION_VERSION ~4 and FUNCTIONS_WORKER_RUNTIME custom, with an
//     empty linuxFxVersion (the stacks API's Linux "custom" entry: no language image, the native binary needs none);
//   - no deployment container and no OneDeploy: the app runs from its package blob,
//     <blob endpoint><deploymentContainerName>/<packageName>, which the host reads with the user-assigned identity
//     (WEBSITE_RUN_FROM_PACKAGE + WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID; the identity is Storage Blob Data
//     Owner). scripts/deploy-consumption.sh uploads the package and restarts the app;
//   - no content share: Linux Consumption running from a package URL needs none (and WEBSITE_CONTENTAZUREFILE-
//     CONNECTIONSTRING would need a storage key, which the account does not allow);
//   - fixed instances (1.5 GB), at most 100 on Linux: functionAppScaleLimit caps them;
//   - no azd-service-name tag: `azd deploy` would zip-deploy, which on Linux Consumption stores the package through a
//     key-based AzureWebJobsStorage; this app is deployed by scripts/deploy-consumption.sh instead.
param name string
param planName string
param location string
param tags object

param identityName string
param storageAccountName string

@description('Blob container (in the storage account) holding this app\'s package.')
param deploymentContainerName string

@description('Name of the package blob in the container (scripts/package.sh writes gateway.zip and companion.zip).')
param packageName string

param applicationInsightsName string

@description('Highest number of instances (functionAppScaleLimit); Linux Consumption stops at 100 anyway.')
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

var stackSettings = [
  { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
  { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'custom' }
]

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

var packageSettings = [
  {
    name: 'WEBSITE_RUN_FROM_PACKAGE'
    value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}/${packageName}'
  }
  { name: 'WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID', value: identity.id }
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
  kind: 'linux'
  sku: {
    name: 'Y1'
    tier: 'Dynamic'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    reserved: true
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: ''
      functionAppScaleLimit: min(maximumInstanceCount, 100)
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat(stackSettings, baseSettings, packageSettings, disabledSettings, companionSettings, extraSettings)
    }
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
