using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Text.Json;
using FunctionApp.Tests.Common;

namespace FunctionApp.Infra.Tests;

/// <summary>
/// The deployment: infra/main.bicep compiled and linted by the real bicep CLI (NuGet package
/// Azure.Bicep.CommandLine.linux-x64, downloaded by the test project), the essentials of the compiled ARM template, and
/// the package layout written by scripts/package.sh.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class BicepTests
{
    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";

    private static readonly string[] ForbiddenOnFlex =
    [
        "FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_CONTENTSHARE", "SCM_DO_BUILD_DURING_DEPLOYMENT",
        "ENABLE_ORYX_BUILD", "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT", "functionAppScaleLimit",
    ];

    private static string Root => GatewayProcess.RepositoryRoot;

    private static string MainBicep => Path.Combine(Root, "infra", "main.bicep");

    [Fact]
    public async Task Build_succeeds_without_warnings()
    {
        var (exitCode, stdout, stderr) = await RunAsync(BicepPath(), ["build", MainBicep, "--stdout"]);

        Assert.True(exitCode == 0, stderr);
        Assert.Equal("", stderr.Trim());
        using var template = JsonDocument.Parse(stdout);
        Assert.Equal("subscription", SchemaScope(template.RootElement));
    }

    [Fact]
    public async Task Lint_reports_nothing()
    {
        var (exitCode, stdout, stderr) = await RunAsync(BicepPath(), ["lint", MainBicep]);

        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Equal("", (stdout + stderr).Trim());
    }

    [Fact]
    public async Task Template_has_the_essentials()
    {
        var (exitCode, stdout, stderr) = await RunAsync(BicepPath(), ["build", MainBicep, "--stdout"]);
        Assert.True(exitCode == 0, stderr);
        using var document = JsonDocument.Parse(stdout);
        var root = document.RootElement;

        // The resource group carries azd-env-name.
        var group = Resources(root).Single(r => Type(r) == "Microsoft.Resources/resourceGroups");
        Assert.Equal("[variables('tags')]", group.GetProperty("tags").GetString());
        Assert.Equal("[parameters('environmentName')]", root.GetProperty("variables").GetProperty("tags").GetProperty("azd-env-name").GetString());

        // Both apps come from one module, deployed twice with their own service name, container and functions.
        var gateway = Module(root, "gateway");
        var companion = Module(root, "companion");
        Assert.Equal("gateway", Parameter(gateway, "serviceName").GetString());
        Assert.Equal("companion", Parameter(companion, "serviceName").GetString());
        Assert.Equal("deployment-gateway", Parameter(gateway, "deploymentContainerName").GetString());
        Assert.Equal("deployment-companion", Parameter(companion, "deploymentContainerName").GetString());
        Assert.Equal(["metrics", "metrics-anonymous", "otlp"], Parameter(gateway, "disabledFunctions").EnumerateArray().Select(e => e.GetString()));

        // The companion's /metrics needs a function key unless companionMetricsAnonymous swaps in the anonymous twin.
        Assert.Equal(
            ["gateway", "[if(parameters('companionMetricsAnonymous'), 'metrics', 'metrics-anonymous')]"],
            Parameter(companion, "disabledFunctions").EnumerateArray().Select(e => e.GetString()));
        Assert.False(root.GetProperty("parameters").GetProperty("companionMetricsAnonymous").GetProperty("defaultValue").GetBoolean());
        Assert.Equal("companion", Parameter(companion, "appSettings").GetProperty("GATEWAY_ROLE").GetString());
        Assert.Contains("companion", Parameter(gateway, "companionAppName").GetString(), StringComparison.Ordinal);
        Assert.False(ModuleParameters(companion).TryGetProperty("companionAppName", out _));

        foreach (var module in new[] { gateway, companion })
        {
            var template = module.GetProperty("properties").GetProperty("template");
            var plan = Resources(template).Single(r => Type(r) == "Microsoft.Web/serverfarms");
            Assert.Equal("FC1", plan.GetProperty("sku").GetProperty("name").GetString());
            Assert.Equal("FlexConsumption", plan.GetProperty("sku").GetProperty("tier").GetString());
            Assert.True(plan.GetProperty("properties").GetProperty("reserved").GetBoolean());

            var site = Resources(template).Single(r => Type(r) == "Microsoft.Web/sites" && !IsExisting(r));
            Assert.Equal("functionapp,linux", site.GetProperty("kind").GetString());
            Assert.Contains("azd-service-name", site.GetProperty("tags").GetString(), StringComparison.Ordinal);

            var identity = site.GetProperty("identity");
            Assert.Equal("UserAssigned", identity.GetProperty("type").GetString());
            var identityId = Assert.Single(identity.GetProperty("userAssignedIdentities").EnumerateObject()).Name;
            Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", identityId, StringComparison.Ordinal);

            var config = site.GetProperty("properties").GetProperty("functionAppConfig");
            Assert.Equal("custom", config.GetProperty("runtime").GetProperty("name").GetString());
            Assert.Equal("1.0", config.GetProperty("runtime").GetProperty("version").GetString());
            var storage = config.GetProperty("deployment").GetProperty("storage");
            Assert.Equal("blobContainer", storage.GetProperty("type").GetString());
            Assert.Equal("UserAssignedIdentity", storage.GetProperty("authentication").GetProperty("type").GetString());
            var scale = config.GetProperty("scaleAndConcurrency");
            Assert.True(scale.TryGetProperty("instanceMemoryMB", out _));
            Assert.True(scale.TryGetProperty("maximumInstanceCount", out _));

            // App settings (an ARM expression: the list is assembled from identity, storage and companion values).
            var siteConfig = site.GetProperty("properties").GetProperty("siteConfig");
            var settings = siteConfig.GetProperty("appSettings").GetString()!;
            foreach (var name in new[]
            {
                "AzureWebJobsStorage__accountName", "AzureWebJobsStorage__credential", "AzureWebJobsStorage__clientId",
                "APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
                "'managedidentity'", "Authorization=AAD", "METRICS_COMPANION_URL", "METRICS_COMPANION_KEY",
                "/v1/metrics", "/host/default", "functionKeys.default",
            })
            {
                Assert.Contains(name, settings, StringComparison.Ordinal);
            }

            Assert.Contains("AzureWebJobs.{0}.Disabled", template.GetProperty("variables").GetProperty("disabledSettings").GetString(), StringComparison.Ordinal);
            foreach (var forbidden in ForbiddenOnFlex)
            {
                Assert.DoesNotContain(forbidden, module.GetRawText(), StringComparison.Ordinal);
            }
        }

        // The gateway only gets GATEWAY_CONFIG when the parameter is set.
        Assert.Contains("GATEWAY_CONFIG", gateway.GetProperty("properties").GetProperty("parameters").GetProperty("appSettings").GetString(), StringComparison.Ordinal);
        Assert.Contains("empty(parameters('gatewayConfig'))", gateway.GetProperty("properties").GetProperty("parameters").GetProperty("appSettings").GetString(), StringComparison.Ordinal);

        // Role assignments for the identity.
        var rbac = Module(root, "rbac").GetProperty("properties").GetProperty("template");
        var roles = Resources(rbac).Where(r => Type(r) == "Microsoft.Authorization/roleAssignments").ToList();
        Assert.Equal(2, roles.Count);
        var owner = Assert.Single(roles, r => r.GetProperty("properties").GetProperty("roleDefinitionId").GetString()!.Contains("storageBlobDataOwnerRoleId", StringComparison.Ordinal));
        var publisher = Assert.Single(roles, r => r.GetProperty("properties").GetProperty("roleDefinitionId").GetString()!.Contains("monitoringMetricsPublisherRoleId", StringComparison.Ordinal));
        Assert.Equal(StorageBlobDataOwner, rbac.GetProperty("variables").GetProperty("storageBlobDataOwnerRoleId").GetString());
        Assert.Equal(MonitoringMetricsPublisher, rbac.GetProperty("variables").GetProperty("monitoringMetricsPublisherRoleId").GetString());
        Assert.Contains("Microsoft.Storage/storageAccounts", owner.GetProperty("scope").GetString(), StringComparison.Ordinal);
        Assert.Contains("Microsoft.Insights/components", publisher.GetProperty("scope").GetString(), StringComparison.Ordinal);

        // Storage without shared keys, with the three containers; App Insights without local auth.
        var storageTemplate = Module(root, "storage").GetProperty("properties").GetProperty("template");
        var account = Resources(storageTemplate).Single(r => Type(r) == "Microsoft.Storage/storageAccounts");
        Assert.False(account.GetProperty("properties").GetProperty("allowSharedKeyAccess").GetBoolean());
        Assert.Equal(
            ["deployment-gateway", "deployment-companion", "companion-state"],
            storageTemplate.GetProperty("parameters").GetProperty("containerNames").GetProperty("defaultValue").EnumerateArray().Select(e => e.GetString()));
        var monitoring = Module(root, "monitoring").GetProperty("properties").GetProperty("template");
        var insights = Resources(monitoring).Single(r => Type(r) == "Microsoft.Insights/components");
        Assert.True(insights.GetProperty("properties").GetProperty("DisableLocalAuth").GetBoolean());

        // Outputs azd reads into the environment.
        var outputs = root.GetProperty("outputs");
        foreach (var name in new[] { "AZURE_LOCATION", "RESOURCE_GROUP", "GATEWAY_APP_NAME", "COMPANION_APP_NAME" })
        {
            Assert.True(outputs.TryGetProperty(name, out _), name);
        }

        Assert.StartsWith("[format('https://{0}',", outputs.GetProperty("GATEWAY_URL").GetProperty("value").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("[format('https://{0}/metrics',", outputs.GetProperty("METRICS_URL").GetProperty("value").GetString(), StringComparison.Ordinal);

        // Parameters and their constraints.
        var parameters = root.GetProperty("parameters");
        Assert.Equal([512, 2048, 4096], parameters.GetProperty("gatewayInstanceMemoryMB").GetProperty("allowedValues").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(2048, parameters.GetProperty("gatewayInstanceMemoryMB").GetProperty("defaultValue").GetInt32());
        Assert.Equal(100, parameters.GetProperty("gatewayMaximumInstanceCount").GetProperty("defaultValue").GetInt32());
        Assert.Equal(1, parameters.GetProperty("gatewayMaximumInstanceCount").GetProperty("minValue").GetInt32());
        Assert.Equal(1, parameters.GetProperty("companionMaximumInstanceCount").GetProperty("defaultValue").GetInt32());
        Assert.Equal("", parameters.GetProperty("gatewayConfig").GetProperty("defaultValue").GetString());
    }

    [Fact]
    public async Task Package_script_lays_out_the_app_root_with_the_execute_bit()
    {
        var work = Directory.CreateTempSubdirectory("package-test-");
        try
        {
            // A fake publish folder with the files the zips must leave out.
            var publish = Directory.CreateDirectory(Path.Combine(work.FullName, "publish")).FullName;
            await File.WriteAllTextAsync(Path.Combine(publish, "FunctionApp"), "binary");
            await File.WriteAllTextAsync(Path.Combine(publish, "host.json"), "{}");
            foreach (var extra in new[] { "FunctionApp.dbg", "FunctionApp.pdb", "local.settings.json", "appsettings.json" })
            {
                await File.WriteAllTextAsync(Path.Combine(publish, extra), "x");
            }

            var output = Path.Combine(work.FullName, "out");
            var script = Path.Combine(Root, "scripts", "package.sh");
            var (exitCode, stdout, stderr) = await RunAsync("bash", [script, "--layout-only", publish, "--output", output]);
            Assert.True(exitCode == 0, stdout + stderr);

            var functions = Directory.GetFiles(Path.Combine(Root, "FunctionApp"), "function.json", SearchOption.AllDirectories)
                .Where(f => Path.GetDirectoryName(Path.GetDirectoryName(f)) == Path.Combine(Root, "FunctionApp"))
                .Select(f => Path.GetFileName(Path.GetDirectoryName(f)) + "/function.json");
            var expected = functions.Append("host.json").Append("FunctionApp").Order(StringComparer.Ordinal).ToList();
            Assert.Contains("gateway/function.json", expected);

            foreach (var app in new[] { "gateway", "companion" })
            {
                using var zip = ZipFile.OpenRead(Path.Combine(output, app + ".zip"));
                Assert.Equal(expected, zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
                var binary = zip.GetEntry("FunctionApp")!;
                var mode = (binary.ExternalAttributes >> 16) & 0x1FF;
                Assert.True((mode & 0x49) == 0x49, $"FunctionApp mode is {Convert.ToString(mode, 8)}; want the execute bits");
                using var reader = new StreamReader(binary.Open());
                Assert.Equal("binary", await reader.ReadToEndAsync());
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static string BicepPath()
    {
        var path = typeof(BicepTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BicepPath").Value!;
        Assert.True(File.Exists(path), $"bicep CLI not found at {path}: restore the test project (PackageDownload)");
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & UnixFileMode.UserExecute) == 0)
            {
                File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
        }

        return path;
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Root,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // No telemetry, and no attempt to reach a module registry.
        info.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static IEnumerable<JsonElement> Resources(JsonElement template)
    {
        var resources = template.GetProperty("resources");
        return resources.ValueKind == JsonValueKind.Array
            ? resources.EnumerateArray()
            : resources.EnumerateObject().Select(p => p.Value);
    }

    private static string? Type(JsonElement resource) => resource.GetProperty("type").GetString();

    private static bool IsExisting(JsonElement resource) =>
        resource.TryGetProperty("existing", out var existing) && existing.GetBoolean();

    private static JsonElement Module(JsonElement root, string name) =>
        Resources(root).Single(r => Type(r) == "Microsoft.Resources/deployments" && r.GetProperty("name").GetString() == name);

    private static JsonElement ModuleParameters(JsonElement module) => module.GetProperty("properties").GetProperty("parameters");

    private static JsonElement Parameter(JsonElement module, string name) =>
        ModuleParameters(module).GetProperty(name).GetProperty("value");

    private static string SchemaScope(JsonElement template) =>
        template.GetProperty("$schema").GetString()!.Contains("subscriptionDeploymentTemplate", StringComparison.Ordinal) ? "subscription" : "other";
}
