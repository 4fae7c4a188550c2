// MCEM Analyst on Azure: the Teams bot in Azure Container Apps, its Azure Bot (Teams, Outlook and Microsoft 365 channels), a Key
// Vault for its secrets, an Azure Files share for its SQLite state, and optionally Azure OpenAI.
//
//   az deployment group create -g <rg> -f deploy/main.bicep -p @deploy/main.parameters.json
//
// Identities (deploy/README.md explains the choice):
// - The bot's Entra app registration (botAppId) is the Azure Bot's identity AND the identity Graph
//   calls run as (tenant-wide application permissions, Teams RSC, the Teams application access policy
//   all name this one app id). Its client secret lives in Key Vault.
// - A user-assigned managed identity lets the container read those Key Vault secrets, pull its
//   image, and call Azure OpenAI and Table Storage (MCEM_MANAGED_IDENTITY_CLIENT_ID); it holds no
//   Graph permission.
// Setting names in the container match .env.example exactly (tests/test_deploy.py checks them).

targetScope = 'resourceGroup'

@description('Short name used to derive resource names (lowercase letters and digits).')
@minLength(3)
@maxLength(12)
param name string = 'mcemanalyst'

@description('Region for everything except the Azure Bot (which is global).')
param location string = resourceGroup().location

@description('Container image of the bot, e.g. myregistry.azurecr.io/mcem-analyst-bot:1.0.0 (built from deploy/Dockerfile).')
param containerImage string

@description('Name of an Azure Container Registry in this resource group holding the image; empty for a public image.')
param registryName string = ''

@description('The bot\'s Entra app registration: its application (client) id.')
param botAppId string

@description('A client secret of that app registration. Stored in Key Vault, never in app settings.')
@secure()
param botAppSecret string

@description('When that client secret expires (ISO 8601, the endDateTime of the app registration\'s password credential). Key Vault records it on the secret so expiry can be alerted on; it does not stop the bot reading it.')
param botAppSecretExpiresOn string = dateTimeAdd(utcNow(), 'P1Y')

@description('Tenant ids the bot serves (MCEM_ALLOWED_TENANTS), comma-separated. Default: this tenant.')
param allowedTenants string = tenant().tenantId

@description('The account team\'s mail domains, comma-separated (MCEM_TENANT_DOMAINS); empty: the requesting user\'s domain.')
param tenantDomains string = ''

@description('Drive id of the SharePoint document library for the drafts (MCEM_SHAREPOINT_DRIVE_ID).')
param sharePointDriveId string

@description('Optional folder inside that library (MCEM_SHAREPOINT_FOLDER).')
param sharePointFolder string = ''

@description('Analyse automatically when a transcript appears (Graph subscription to <bot>/api/notifications). Tenant-wide access only.')
param autoAnalyze bool = true

@description('How the bot reads transcripts (MCEM_TRANSCRIPT_ACCESS): tenant (application permissions and an access policy) or rsc (resource-specific consent in the meeting chats that have the app; no Graph subscription).')
@allowed([
  'tenant'
  'rsc'
])
param transcriptAccess string = 'tenant'

// The tenant-wide subscription needs OnlineMeetingTranscript.Read.All, which rsc mode does not
// have (the bot refuses MCEM_AUTO_ANALYZE there): with rsc the meeting-end event starts analyses.
var automatic = autoAnalyze && transcriptAccess == 'tenant'

@description('Opt-in CRM: your Dynamics 365 organisation (https://<org>.crm.dynamics.com). Set, the bot adds a note and a task per next step to the customer account after each analysis (MCEM_CRM=dynamics, MCEM_DATAVERSE_URL), signed in as the bot app registration, which must be a Dataverse application user. Empty: nothing is sent.')
param dynamicsUrl string = ''

@description('Secret (16-128 characters) Graph echoes in every notification (MCEM_NOTIFICATION_CLIENT_STATE). Required when autoAnalyze is true.')
@secure()
param notificationClientState string = ''

@description('Create an Azure OpenAI account and model deployment for the LLM analyzer. Without it (and without existingOpenAiEndpoint) the offline analyzer is used.')
param deployOpenAi bool = false

@description('Model and version for the new deployment; it must support structured outputs.')
param openAiModelName string = 'gpt-4o'
param openAiModelVersion string = '2024-11-20'

@description('Deployment capacity in thousands of tokens per minute.')
param openAiCapacity int = 50

@description('An existing Azure OpenAI endpoint to use instead of creating one (grant the output managedIdentityPrincipalId "Cognitive Services OpenAI User" on it yourself).')
param existingOpenAiEndpoint string = ''

@description('The model deployment name on existingOpenAiEndpoint.')
param existingOpenAiDeployment string = ''

@description('Azure OpenAI data-plane API version (AZURE_OPENAI_API_VERSION).')
param openAiApiVersion string = '2024-10-21'

@description('Analyses running at the same time (MCEM_MAX_JOBS).')
param maxJobs int = 4

@description('Log level (MCEM_LOG_LEVEL).')
@allowed([
  'DEBUG'
  'INFO'
  'WARNING'
  'ERROR'
])
param logLevel string = 'INFO'

@description('Azure Bot pricing tier: F0 (free, standard channels) or S1.')
@allowed([
  'F0'
  'S1'
])
param botSku string = 'F0'

@description('The bot\'s state: sqlite (one replica; a file on the Azure Files share) or azure (Table Storage in the same account, shared by up to maxReplicas replicas). With azure, the app\'s managed identity gets "Storage Table Data Contributor" on the account.')
@allowed([
  'sqlite'
  'azure'
])
param stateBackend string = 'sqlite'

@description('Most replicas when stateBackend is azure; with sqlite there is always one.')
@minValue(1)
param maxReplicas int = 3

@description('Close Key Vault, Storage and the new Azure OpenAI account to the internet: a VNet for the Container Apps environment and private endpoints for them. The bot\'s own endpoint stays public (Teams calls it). Off: they accept connections from anywhere that authenticates (deploy/README.md weighs the two).')
param privateNetworking bool = false

@description('Address space of that VNet; pick one that does not overlap networks you may peer it with.')
param vnetAddressPrefix string = '10.60.0.0/22'

@description('Subnet of the Container Apps environment inside it: a /23 or larger (a Consumption-only environment).')
param appsSubnetPrefix string = '10.60.0.0/23'

@description('Subnet of the private endpoints inside it (one address per endpoint, up to four).')
param endpointsSubnetPrefix string = '10.60.2.0/27'

var suffix = uniqueString(resourceGroup().id, name)
var botPort = 3978 // bot/settings.py DEFAULT_PORT; EXPOSE in deploy/Dockerfile
var stateMountPath = '/data' // MCEM_STATE_PATH lives here; WORKDIR of the image
var appName = '${toLower(name)}-bot'
var useOpenAi = deployOpenAi || !empty(existingOpenAiEndpoint)
var openAiDeploymentName = deployOpenAi ? openAiModelName : existingOpenAiDeployment

// Built-in role definition ids.
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var acrPull = '7f951dda-4ed3-4680-a7ca-43fe172d538d'
var cognitiveServicesOpenAiUser = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
var sharedState = stateBackend == 'azure'

// With privateNetworking the data services accept traffic only through their private endpoints; the
// deployment itself still works because ARM writes secrets and shares through the control plane.
var publicAccess = privateNetworking ? 'Disabled' : 'Enabled'
var networkAcls = {
  defaultAction: privateNetworking ? 'Deny' : 'Allow'
  bypass: 'AzureServices'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${name}'
  location: location
}

// --- secrets -----------------------------------------------------------------------------------

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-${take(toLower(name), 10)}-${take(suffix, 8)}'
  location: location
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 30
    enablePurgeProtection: true
    // checkov:skip=CKV_AZURE_189: public unless privateNetworking=true (deploy/README.md, "Network access")
    publicNetworkAccess: publicAccess
    // checkov:skip=CKV_AZURE_109: Deny unless privateNetworking=true (deploy/README.md, "Network access")
    networkAcls: networkAcls
  }
}

resource botSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'bot-app-secret'
  properties: {
    value: botAppSecret
    contentType: 'Entra ID client secret of the bot app registration'
    attributes: {
      exp: dateTimeToEpoch(botAppSecretExpiresOn)
    }
  }
}

resource clientStateSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (automatic) {
  parent: vault
  name: 'notification-client-state'
  properties: {
    value: notificationClientState
    contentType: 'Microsoft Graph change notification clientState'
    // checkov:skip=CKV_AZURE_41: a random value Graph echoes back, not a credential that lapses; change it by redeploying
  }
}

resource vaultReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}

// --- image pull ----------------------------------------------------------------------------------

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = if (!empty(registryName)) {
  name: empty(registryName) ? 'none' : registryName
}

resource registryPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(registryName)) {
  name: guid(resourceGroup().id, registryName, identity.id, acrPull)
  scope: registry
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPull)
  }
}

// --- state: one SQLite file on an Azure Files share ----------------------------------------------

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_43: 'st' + 10 + 10 lowercase letters and digits (tests/test_deploy.py evaluates it)
  name: 'st${take(replace(toLower(name), '-', ''), 10)}${take(suffix, 10)}'
  location: location
  kind: 'StorageV2'
  sku: {
    // checkov:skip=CKV_AZURE_206: bookkeeping of a single-region app; a copy in a second region would outlive the app it serves
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // Container Apps mounts Azure Files (SMB) with the account key.
    allowSharedKeyAccess: true
    publicNetworkAccess: publicAccess
    // checkov:skip=CKV_AZURE_35: Deny unless privateNetworking=true (deploy/README.md, "Network access")
    networkAcls: networkAcls
  }
}

// With stateBackend azure the bot keeps its state in this account's tables (bot/state_azure.py),
// signed in as the app's managed identity (MCEM_MANAGED_IDENTITY_CLIENT_ID), not the app registration.
resource tableUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (sharedState) {
  name: guid(storage.id, identity.id, storageTableDataContributor)
  scope: storage
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
  }
}

resource fileService 'Microsoft.Storage/storageAccounts/fileServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource stateShare 'Microsoft.Storage/storageAccounts/fileServices/shares@2023-05-01' = {
  parent: fileService
  name: 'mcem-state'
  properties: {
    shareQuota: 1
  }
}

// --- Azure OpenAI (optional) ---------------------------------------------------------------------

resource openAi 'Microsoft.CognitiveServices/accounts@2024-10-01' = if (deployOpenAi) {
  name: 'oai-${toLower(name)}-${take(suffix, 6)}'
  location: location
  kind: 'OpenAI'
  sku: {
    name: 'S0'
  }
  // Its own identity, with no role: the bot's identity can read the bot's secrets, the account needs none.
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    customSubDomainName: 'oai-${toLower(name)}-${take(suffix, 6)}'
    // checkov:skip=CKV_AZURE_134: public unless privateNetworking=true (deploy/README.md, "Network access")
    publicNetworkAccess: publicAccess
    networkAcls: networkAcls
    // Entra ID only: no keys to leak (the bot signs in with its managed identity when no key is set).
    disableLocalAuth: true
  }
}

resource openAiDeployment 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = if (deployOpenAi) {
  parent: openAi
  name: openAiModelName
  sku: {
    name: 'GlobalStandard'
    capacity: openAiCapacity
  }
  properties: {
    model: {
      format: 'OpenAI'
      name: openAiModelName
      version: openAiModelVersion
    }
  }
}

// The bot calls Azure OpenAI as the app's managed identity (MCEM_MANAGED_IDENTITY_CLIENT_ID): without
// that setting DefaultAzureCredential would sign in as the app registration, whose secret is set for Graph.
resource openAiUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (deployOpenAi) {
  name: guid(openAi.id, identity.id, cognitiveServicesOpenAiUser)
  scope: openAi
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesOpenAiUser)
  }
}

// --- private networking (optional) -------------------------------------------------------------

// Each endpoint gets the private DNS zone that makes the service's usual host name resolve to it
// inside the VNet, so the bot and the platform (Key Vault references, the Azure Files mount) use
// the same URLs as without it.
resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = if (privateNetworking) {
  name: 'vnet-${name}'
  location: location
  properties: {
    addressSpace: {
      addressPrefixes: [
        vnetAddressPrefix
      ]
    }
    subnets: [
      {
        name: 'apps'
        properties: {
          addressPrefix: appsSubnetPrefix
        }
      }
      {
        name: 'endpoints'
        properties: {
          addressPrefix: endpointsSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

var vaultLink = [
  {
    name: 'vault'
    zone: 'privatelink.vaultcore.azure.net'
    target: vault.id
    group: 'vault'
  }
]
var fileLink = [
  {
    name: 'file'
    zone: 'privatelink.file.${environment().suffixes.storage}'
    target: storage.id
    group: 'file'
  }
]
var tableLink = [
  {
    name: 'table'
    zone: 'privatelink.table.${environment().suffixes.storage}'
    target: storage.id
    group: 'table'
  }
]
var openAiLink = [
  {
    name: 'openai'
    zone: 'privatelink.openai.azure.com'
    target: openAi.id
    group: 'account'
  }
]
var privateLinks = privateNetworking ? concat(vaultLink, fileLink, sharedState ? tableLink : [], deployOpenAi ? openAiLink : []) : []

resource privateZones 'Microsoft.Network/privateDnsZones@2024-06-01' = [for link in privateLinks: {
  name: link.zone
  location: 'global'
}]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [for (link, i) in privateLinks: {
  parent: privateZones[i]
  name: 'vnet-${name}'
  location: 'global'
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}]

resource endpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [for link in privateLinks: {
  name: 'pe-${name}-${link.name}'
  location: location
  properties: {
    subnet: {
      id: resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'endpoints')
    }
    privateLinkServiceConnections: [
      {
        name: link.name
        properties: {
          privateLinkServiceId: link.target
          groupIds: [
            link.group
          ]
        }
      }
    ]
  }
}]

resource endpointZones 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [for (link, i) in privateLinks: {
  parent: endpoints[i]
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: link.name
        properties: {
          privateDnsZoneId: privateZones[i].id
        }
      }
    ]
  }
}]

// --- Container Apps ------------------------------------------------------------------------------

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${name}'
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

// Traces and metrics of every analysis (mcem/telemetry.py), in the same workspace as the logs.
// Local auth off: the container sends with its managed identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING),
// so the connection string alone lets nobody write into it.
resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${name}'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
  }
}

resource insightsSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'appinsights-connection-string'
  properties: {
    value: insights.properties.ConnectionString
    contentType: 'Application Insights connection string (instrumentation key and ingestion endpoint)'
    // checkov:skip=CKV_AZURE_41: an address, not a credential that lapses: with local auth off it lets nobody write
  }
}

resource insightsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, identity.id, monitoringMetricsPublisher)
  scope: insights
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
  }
}

// internal: false keeps the app's ingress public: Teams must reach /api/messages (JWT-checked).
var appsSubnet = {
  infrastructureSubnetId: resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'apps')
  internal: false
}

resource containerEnv 'Microsoft.App/managedEnvironments@2025-01-01' = {
  name: 'cae-${name}'
  location: location
  // The endpoints and their DNS come first: the app's first revision mounts the share through them.
  dependsOn: [
    endpointZones
    zoneLinks
  ]
  properties: {
    // Set only when the environment is created: switching privateNetworking later means a new one.
    vnetConfiguration: privateNetworking ? appsSubnet : null
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
  }
}

resource environmentStorage 'Microsoft.App/managedEnvironments/storages@2025-01-01' = {
  parent: containerEnv
  name: 'mcemstate'
  properties: {
    azureFile: {
      accountName: storage.name
      accountKey: storage.listKeys().keys[0].value
      shareName: stateShare.name
      accessMode: 'ReadWrite'
    }
  }
}

// The app's public host name, known before the app exists, so MCEM_PUBLIC_URL can be set in the
// same deployment: <app>.<environment default domain>.
var publicUrl = 'https://${appName}.${containerEnv.properties.defaultDomain}'

var baseSettings = [
  {
    name: 'CONNECTIONS__SERVICE_CONNECTION__SETTINGS__AUTHTYPE'
    value: 'ClientSecret'
  }
  {
    name: 'CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID'
    value: botAppId
  }
  {
    name: 'CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET'
    secretRef: 'bot-app-secret' // checkov:skip=CKV_SECRET_6: the name of a Key Vault reference, not a secret
  }
  {
    name: 'CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID'
    value: tenant().tenantId
  }
  {
    name: 'MCEM_ALLOWED_TENANTS'
    value: allowedTenants
  }
  {
    name: 'MCEM_BOT_HOST'
    value: '0.0.0.0'
  }
  {
    name: 'MCEM_BOT_PORT'
    value: string(botPort)
  }
  {
    name: 'MCEM_STATE_PATH'
    value: '${stateMountPath}/mcem-bot-state.sqlite3'
  }
  {
    name: 'MCEM_MAX_JOBS'
    value: string(maxJobs)
  }
  {
    name: 'MCEM_LOG_LEVEL'
    value: logLevel
  }
  {
    name: 'MCEM_LOG_FORMAT'
    value: 'json'
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    secretRef: 'appinsights-connection-string' // checkov:skip=CKV_SECRET_6: the name of a Key Vault reference, not a secret
  }
  {
    // Read by the Azure Monitor exporter itself: Entra ID sign-in as the container's identity.
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'Authorization=AAD;ClientId=${identity.properties.clientId}'
  }
  {
    name: 'AZURE_TENANT_ID'
    value: tenant().tenantId
  }
  {
    name: 'AZURE_CLIENT_ID'
    value: botAppId
  }
  {
    name: 'AZURE_CLIENT_SECRET'
    secretRef: 'bot-app-secret' // checkov:skip=CKV_SECRET_6: the name of a Key Vault reference, not a secret
  }
  {
    name: 'MCEM_MANAGED_IDENTITY_CLIENT_ID'
    value: identity.properties.clientId
  }
  {
    name: 'MCEM_TENANT_DOMAINS'
    value: tenantDomains
  }
  {
    name: 'MCEM_SHAREPOINT_DRIVE_ID'
    value: sharePointDriveId
  }
  {
    name: 'MCEM_SHAREPOINT_FOLDER'
    value: sharePointFolder
  }
  {
    name: 'MCEM_AUTO_ANALYZE'
    value: automatic ? 'on' : 'off'
  }
  {
    name: 'MCEM_TRANSCRIPT_ACCESS'
    value: transcriptAccess
  }
]

var autoSettings = [
  {
    name: 'MCEM_PUBLIC_URL'
    value: publicUrl
  }
  {
    name: 'MCEM_NOTIFICATION_CLIENT_STATE'
    secretRef: 'notification-client-state' // checkov:skip=CKV_SECRET_6: the name of a Key Vault reference, not a secret
  }
]

var stateSettings = [
  {
    name: 'MCEM_STATE_BACKEND'
    value: 'azure'
  }
  {
    name: 'MCEM_STATE_TABLE_URL'
    value: storage.properties.primaryEndpoints.table
  }
]

var openAiSettings = [
  {
    name: 'AZURE_OPENAI_ENDPOINT'
    value: deployOpenAi ? openAi.properties.endpoint : existingOpenAiEndpoint
  }
  {
    name: 'AZURE_OPENAI_DEPLOYMENT'
    value: openAiDeploymentName
  }
  {
    name: 'AZURE_OPENAI_API_VERSION'
    value: openAiApiVersion
  }
]

// Opt-in CRM (bot/crm.py): unset unless dynamicsUrl names the organisation.
var crmSettings = [
  {
    name: 'MCEM_CRM'
    value: 'dynamics'
  }
  {
    name: 'MCEM_DATAVERSE_URL'
    value: dynamicsUrl
  }
]

var appSettings = concat(baseSettings, automatic ? autoSettings : [], sharedState ? stateSettings : [], useOpenAi ? openAiSettings : [], empty(dynamicsUrl) ? [] : crmSettings)

// Container App secrets are Key Vault references read with the managed identity.
var botSecretRef = [
  {
    name: 'bot-app-secret'
    keyVaultUrl: botSecret.properties.secretUri
    identity: identity.id
  }
]

var clientStateSecretRef = [
  {
    name: 'notification-client-state'
    keyVaultUrl: '${vault.properties.vaultUri}secrets/notification-client-state'
    identity: identity.id
  }
]

var insightsSecretRef = [
  {
    name: 'appinsights-connection-string'
    keyVaultUrl: '${vault.properties.vaultUri}secrets/appinsights-connection-string'
    identity: identity.id
  }
]

var vaultSecrets = concat(botSecretRef, insightsSecretRef, automatic ? clientStateSecretRef : [])

var registryLogin = [
  {
    server: '${toLower(registryName)}${environment().suffixes.acrLoginServer}'
    identity: identity.id
  }
]

resource app 'Microsoft.App/containerApps@2025-01-01' = {
  name: appName
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  dependsOn: [
    vaultReader
    registryPull
    clientStateSecret
    insightsSecret
    insightsPublisher
    openAiDeployment
    openAiUser
  ]
  properties: {
    managedEnvironmentId: containerEnv.id
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: botPort
        transport: 'auto'
        allowInsecure: false
      }
      secrets: vaultSecrets
      registries: empty(registryName) ? [] : registryLogin
    }
    template: {
      containers: [
        {
          name: 'bot'
          image: containerImage
          resources: {
            cpu: json('1.0')
            memory: '2Gi'
          }
          env: appSettings
          volumeMounts: [
            {
              volumeName: 'state'
              mountPath: stateMountPath
            }
          ]
          probes: [
            {
              type: 'Liveness'
              httpGet: {
                path: '/api/health'
                port: botPort
              }
              initialDelaySeconds: 10
              periodSeconds: 30
            }
            {
              type: 'Readiness'
              httpGet: {
                path: '/api/health'
                port: botPort
              }
              initialDelaySeconds: 5
              periodSeconds: 10
            }
          ]
        }
      ]
      // SQLite state is one file: one replica. Table Storage state is shared, so several replicas
      // claim each transcript once and one of them (a lease) keeps the Graph subscription.
      scale: {
        minReplicas: 1
        maxReplicas: sharedState ? maxReplicas : 1
      }
      volumes: [
        {
          name: 'state'
          storageType: 'AzureFile'
          storageName: environmentStorage.name
          // nobrl: SQLite's byte-range locks are not supported on SMB; uid/gid: the image's user.
          mountOptions: 'nobrl,uid=10001,gid=10001,dir_mode=0700,file_mode=0600,mfsymlinks,cache=strict'
        }
      ]
    }
  }
}

// --- the Azure Bot and its channels: Teams, Outlook, Microsoft 365 -------------------------------

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: 'bot-${name}-${take(suffix, 6)}'
  location: 'global'
  kind: 'azurebot'
  sku: {
    name: botSku
  }
  properties: {
    displayName: 'MCEM Analyst'
    endpoint: 'https://${app.properties.configuration.ingress.fqdn}/api/messages'
    msaAppId: botAppId
    msaAppType: 'SingleTenant'
    msaAppTenantId: tenant().tenantId
  }
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
    }
  }
}

// Outlook: the summary email's actionable-message card (Action.Execute, refresh on open) reaches the
// bot as an adaptiveCard/action invoke through this channel (channelId "outlook"). The card also needs
// a provider registered in the Actionable Email Developer Dashboard (MCEM_OUTLOOK_ORIGINATOR).
resource outlookChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'OutlookChannel'
  location: 'global'
  properties: {
    channelName: 'OutlookChannel'
  }
}

// Microsoft 365: the custom engine agent the app package declares, in Copilot Chat, Outlook and the
// Microsoft 365 app (channelId "m365extensions").
resource m365Channel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'M365Extensions'
  location: 'global'
  properties: {
    channelName: 'M365Extensions'
  }
}

output botEndpoint string = bot.properties.endpoint
output botDomain string = app.properties.configuration.ingress.fqdn
output keyVaultName string = vault.name
output managedIdentityClientId string = identity.properties.clientId
output managedIdentityPrincipalId string = identity.properties.principalId
output openAiEndpoint string = useOpenAi ? (deployOpenAi ? openAi.properties.endpoint : existingOpenAiEndpoint) : ''
