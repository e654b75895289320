using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Text.Json;
using FunctionApp.Tests.Common;

namespace FunctionApp.Infra.Tests;

/// <summary>
/// The deployment: infra/main.bicep compiled and linted by the real bicep CLI (NuGet package
/// Azure.Bicep.CommandLine.linux-x64, downloaded by the test project), the essentials of the compiled ARM template in
/// both hosting plans (Flex Consumption, the default, and classic Linux Consumption), the package layout written by
/// scripts/package.sh, and the commands scripts/deploy-consumption.sh runs.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class BicepTests
{
    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";
    private const string StorageBlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";

    private static readonly string[] ForbiddenOnFlex =
    [
        "FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_CONTENTSHARE", "SCM_DO_BUILD_DURING_DEPLOYMENT",
        "ENABLE_ORYX_BUILD", "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT", "functionAppScaleLimit",
    ];

    private static string Root => GatewayProcess.RepositoryRoot;

    private static readonly string[] ForbiddenOnConsumption =
    [
        "functionAppConfig", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_CONTENTSHARE", "AccountKey",
        "azd-service-name",
    ];

    /// <summary>One compilation of main.bicep, shared by the tests that read it (each test can still run alone).</summary>
    private static readonly Lazy<Task<(int ExitCode, string Stdout, string Stderr)>> MainBuild =
        new(() => RunAsync(BicepPath(), ["build", MainBicep, "--stdout"]));

    private static string MainBicep => Path.Combine(Root, "infra", "main.bicep");

    private static string ConsumptionParameters => Path.Combine(Root, "infra", "main.consumption.bicepparam");

    [Fact]
    public async Task Build_succeeds_without_warnings()
    {
        var (exitCode, stdout, stderr) = await BuildMainAsync();

        Assert.True(exitCode == 0, stderr);
        Assert.Equal("", stderr.Trim());
        using var template = JsonDocument.Parse(stdout);
        Assert.Equal("subscription", SchemaScope(template.RootElement));
    }

    [Theory]
    [InlineData("main.bicep")]
    [InlineData("main.consumption.bicepparam")]
    public async Task Lint_reports_nothing(string file)
    {
        var (exitCode, stdout, stderr) = await RunAsync(BicepPath(), ["lint", Path.Combine(Root, "infra", file)]);

        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Equal("", (stdout + stderr).Trim());
    }

    [Fact]
    public async Task Template_has_the_essentials()
    {
        var (exitCode, stdout, stderr) = await BuildMainAsync();
        Assert.True(exitCode == 0, stderr);
        using var document = JsonDocument.Parse(stdout);
        var root = document.RootElement;

        // The resource group carries azd-env-name.
        var group = Resources(root).Single(r => Type(r) == "Microsoft.Resources/resourceGroups");
        Assert.Equal("[variables('tags')]", group.GetProperty("tags").GetString());
        Assert.Equal("[parameters('environmentName')]", root.GetProperty("variables").GetProperty("tags").GetProperty("azd-env-name").GetString());

        // Flex Consumption unless hostingPlan says Consumption.
        var variables = root.GetProperty("variables");
        Assert.Equal("[equals(parameters('hostingPlan'), 'FlexConsumption')]", variables.GetProperty("isFlex").GetString());
        Assert.Equal(["FlexConsumption", "Consumption"], root.GetProperty("parameters").GetProperty("hostingPlan").GetProperty("allowedValues").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("FlexConsumption", root.GetProperty("parameters").GetProperty("hostingPlan").GetProperty("defaultValue").GetString());

        // Both apps come from one module, deployed twice with their own service name, container and functions.
        var gateway = Module(root, "gateway");
        var companion = Module(root, "companion");
        Assert.Equal("[variables('isFlex')]", gateway.GetProperty("condition").GetString());
        Assert.Equal("[variables('isFlex')]", companion.GetProperty("condition").GetString());
        Assert.Equal("gateway", Parameter(gateway, "serviceName").GetString());
        Assert.Equal("companion", Parameter(companion, "serviceName").GetString());
        Assert.Equal("deployment-gateway", Parameter(gateway, "deploymentContainerName").GetString());
        Assert.Equal("deployment-companion", Parameter(companion, "deploymentContainerName").GetString());
        AssertAppsRunTheirOwnFunctions(root, gateway, companion);

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

        // Role assignments for the identity, and for the deployer on the Consumption plan only.
        var rbacModule = Module(root, "rbac");
        var rbac = rbacModule.GetProperty("properties").GetProperty("template");
        var roles = Resources(rbac).Where(r => Type(r) == "Microsoft.Authorization/roleAssignments").ToList();
        Assert.Equal(3, roles.Count);
        var owner = Assert.Single(roles, r => RoleOf(r) == "storageBlobDataOwnerRoleId");
        var publisher = Assert.Single(roles, r => RoleOf(r) == "monitoringMetricsPublisherRoleId");
        var deployer = Assert.Single(roles, r => RoleOf(r) == "storageBlobDataContributorRoleId");
        Assert.False(owner.TryGetProperty("condition", out _));
        Assert.False(publisher.TryGetProperty("condition", out _));
        Assert.Equal(StorageBlobDataOwner, rbac.GetProperty("variables").GetProperty("storageBlobDataOwnerRoleId").GetString());
        Assert.Equal(MonitoringMetricsPublisher, rbac.GetProperty("variables").GetProperty("monitoringMetricsPublisherRoleId").GetString());
        Assert.Equal(StorageBlobDataContributor, rbac.GetProperty("variables").GetProperty("storageBlobDataContributorRoleId").GetString());
        Assert.Contains("Microsoft.Storage/storageAccounts", owner.GetProperty("scope").GetString(), StringComparison.Ordinal);
        Assert.Contains("Microsoft.Insights/components", publisher.GetProperty("scope").GetString(), StringComparison.Ordinal);
        Assert.Contains("Microsoft.Storage/storageAccounts", deployer.GetProperty("scope").GetString(), StringComparison.Ordinal);
        Assert.Equal("[not(empty(parameters('deployerPrincipalId')))]", deployer.GetProperty("condition").GetString());
        Assert.Equal(
            "[if(variables('isFlex'), createObject('value', ''), createObject('value', parameters('deployerPrincipalId')))]",
            ModuleParameters(rbacModule).GetProperty("deployerPrincipalId").GetString());

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
        foreach (var name in new[] { "AZURE_LOCATION", "RESOURCE_GROUP", "HOSTING_PLAN", "STORAGE_ACCOUNT_NAME", "GATEWAY_APP_NAME", "COMPANION_APP_NAME" })
        {
            Assert.True(outputs.TryGetProperty(name, out _), name);
        }

        // The URLs come from whichever module ran.
        foreach (var (output, prefix, flex, consumption) in new[] { ("GATEWAY_URL", "[format('https://{0}',", "'gateway')", "'gateway-consumption')"), ("METRICS_URL", "[format('https://{0}/metrics',", "'companion')", "'companion-consumption')") })
        {
            var value = outputs.GetProperty(output).GetProperty("value").GetString()!;
            Assert.StartsWith(prefix + " if(variables('isFlex'),", value, StringComparison.Ordinal);
            Assert.Contains(flex, value, StringComparison.Ordinal);
            Assert.Contains(consumption, value, StringComparison.Ordinal);
        }

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
    public async Task Consumption_variant_has_the_essentials()
    {
        var (exitCode, stdout, stderr) = await BuildMainAsync();
        Assert.True(exitCode == 0, stderr);
        using var document = JsonDocument.Parse(stdout);
        var root = document.RootElement;

        // The same two apps, from app/functionapp-consumption.bicep, when hostingPlan is Consumption.
        var gateway = Module(root, "gateway-consumption");
        var companion = Module(root, "companion-consumption");
        Assert.Equal("[not(variables('isFlex'))]", gateway.GetProperty("condition").GetString());
        Assert.Equal("[not(variables('isFlex'))]", companion.GetProperty("condition").GetString());
        Assert.Equal(Parameter(Module(root, "gateway"), "name").GetString(), Parameter(gateway, "name").GetString());
        Assert.Equal(Parameter(Module(root, "companion"), "name").GetString(), Parameter(companion, "name").GetString());
        AssertAppsRunTheirOwnFunctions(root, gateway, companion);

        // Each runs from its package blob in its container: what scripts/package.sh writes, deploy-consumption.sh uploads.
        Assert.Equal("deployment-gateway", Parameter(gateway, "deploymentContainerName").GetString());
        Assert.Equal("gateway.zip", Parameter(gateway, "packageName").GetString());
        Assert.Equal("deployment-companion", Parameter(companion, "deploymentContainerName").GetString());
        Assert.Equal("companion.zip", Parameter(companion, "packageName").GetString());
        Assert.Equal("[parameters('gatewayMaximumInstanceCount')]", Parameter(gateway, "maximumInstanceCount").GetString());
        Assert.Equal("[parameters('companionMaximumInstanceCount')]", Parameter(companion, "maximumInstanceCount").GetString());

        foreach (var module in new[] { gateway, companion })
        {
            var template = module.GetProperty("properties").GetProperty("template");

            // Linux Consumption plan (Y1, Dynamic), Linux site with the custom handler stack.
            var plan = Resources(template).Single(r => Type(r) == "Microsoft.Web/serverfarms");
            Assert.Equal("Y1", plan.GetProperty("sku").GetProperty("name").GetString());
            Assert.Equal("Dynamic", plan.GetProperty("sku").GetProperty("tier").GetString());
            Assert.Equal("linux", plan.GetProperty("kind").GetString());
            Assert.True(plan.GetProperty("properties").GetProperty("reserved").GetBoolean());

            var site = Resources(template).Single(r => Type(r) == "Microsoft.Web/sites" && !IsExisting(r));
            Assert.Equal("functionapp,linux", site.GetProperty("kind").GetString());
            var properties = site.GetProperty("properties");
            Assert.True(properties.GetProperty("reserved").GetBoolean());
            Assert.True(properties.GetProperty("httpsOnly").GetBoolean());
            Assert.False(properties.TryGetProperty("functionAppConfig", out _));
            Assert.Equal("UserAssigned", site.GetProperty("identity").GetProperty("type").GetString());

            var siteConfig = properties.GetProperty("siteConfig");
            Assert.Equal("", siteConfig.GetProperty("linuxFxVersion").GetString());
            Assert.Equal("[min(parameters('maximumInstanceCount'), 100)]", siteConfig.GetProperty("functionAppScaleLimit").GetString());
            Assert.Equal("1.2", siteConfig.GetProperty("minTlsVersion").GetString());

            var stack = template.GetProperty("variables").GetProperty("stackSettings").EnumerateArray()
                .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("value").GetString());
            Assert.Equal("~4", stack["FUNCTIONS_EXTENSION_VERSION"]);
            Assert.Equal("custom", stack["FUNCTIONS_WORKER_RUNTIME"]);

            var settings = siteConfig.GetProperty("appSettings").GetString()!;
            foreach (var name in new[]
            {
                "stackSettings", "AzureWebJobsStorage__accountName", "AzureWebJobsStorage__credential", "'managedidentity'",
                "AzureWebJobsStorage__clientId", "APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
                "Authorization=AAD", "WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID",
                "parameters('deploymentContainerName'), parameters('packageName')", "primaryEndpoints.blob",
                "METRICS_COMPANION_URL", "METRICS_COMPANION_KEY", "/host/default", "functionKeys.default",
            })
            {
                Assert.Contains(name, settings, StringComparison.Ordinal);
            }

            // No content share and no key anywhere; and no azd-service-name tag, so `azd deploy` leaves these apps to
            // scripts/deploy-consumption.sh.
            foreach (var forbidden in ForbiddenOnConsumption)
            {
                Assert.DoesNotContain(forbidden, module.GetRawText(), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Consumption_parameters_file_compiles_against_the_template()
    {
        var environment = new Dictionary<string, string?> { ["AZURE_ENV_NAME"] = null, ["AZURE_LOCATION"] = null, ["AZURE_PRINCIPAL_ID"] = null };
        var (exitCode, stdout, stderr) = await RunAsync(BicepPath(), ["build-params", ConsumptionParameters, "--stdout"], environment);

        Assert.True(exitCode == 0, stderr);
        Assert.Equal("", stderr.Trim());
        using var output = JsonDocument.Parse(stdout);
        using var parameters = JsonDocument.Parse(output.RootElement.GetProperty("parametersJson").GetString()!);
        var values = parameters.RootElement.GetProperty("parameters");
        Assert.Equal("Consumption", values.GetProperty("hostingPlan").GetProperty("value").GetString());
        Assert.False(string.IsNullOrEmpty(values.GetProperty("environmentName").GetProperty("value").GetString()));
        Assert.False(string.IsNullOrEmpty(values.GetProperty("location").GetProperty("value").GetString()));

        // azd's parameters choose the plan from HOSTING_PLAN (Flex by default) and name the deployer.
        using var azd = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Root, "infra", "main.parameters.json")));
        var azdValues = azd.RootElement.GetProperty("parameters");
        Assert.Equal("${HOSTING_PLAN=FlexConsumption}", azdValues.GetProperty("hostingPlan").GetProperty("value").GetString());
        Assert.Equal("${AZURE_PRINCIPAL_ID}", azdValues.GetProperty("deployerPrincipalId").GetProperty("value").GetString());
    }

    [Fact]
    public async Task Deploy_consumption_script_uploads_restarts_and_syncs_both_apps()
    {
        var work = Directory.CreateTempSubdirectory("deploy-consumption-test-");
        try
        {
            // A stand-in az that records its arguments, and the two packages.
            var bin = Directory.CreateDirectory(Path.Combine(work.FullName, "bin")).FullName;
            var log = Path.Combine(work.FullName, "az.log");
            var az = Path.Combine(bin, "az");
            await File.WriteAllTextAsync(az, "#!/bin/sh\necho \"$*\" >> \"$AZ_LOG\"\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(az, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            var packages = Directory.CreateDirectory(Path.Combine(work.FullName, "package")).FullName;
            await File.WriteAllTextAsync(Path.Combine(packages, "gateway.zip"), "g");
            await File.WriteAllTextAsync(Path.Combine(packages, "companion.zip"), "c");
            var environment = new Dictionary<string, string?>
            {
                ["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
                ["AZ_LOG"] = log,
                ["RESOURCE_GROUP"] = "rg-test",
                ["STORAGE_ACCOUNT_NAME"] = "sttest",
                ["GATEWAY_APP_NAME"] = "func-gateway-test",
                ["COMPANION_APP_NAME"] = "func-companion-test",
                ["HOSTING_PLAN"] = "Consumption",
            };
            var script = Path.Combine(Root, "scripts", "deploy-consumption.sh");

            var (exitCode, stdout, stderr) = await RunAsync("bash", [script, "--package-dir", packages], environment);

            Assert.True(exitCode == 0, stdout + stderr);
            var calls = await File.ReadAllLinesAsync(log);
            var expected = new List<string>();
            foreach (var (service, app) in new[] { ("companion", "func-companion-test"), ("gateway", "func-gateway-test") })
            {
                expected.Add($"storage blob upload --auth-mode login --only-show-errors --overwrite --account-name sttest --container-name deployment-{service} --name {service}.zip --file {packages}/{service}.zip");
                expected.Add($"functionapp restart --resource-group rg-test --name {app}");
                expected.Add($"resource invoke-action --resource-group rg-test --name {app} --resource-type Microsoft.Web/sites --action syncfunctiontriggers --output none");
            }

            Assert.Equal(expected, calls);

            // A Flex environment is refused (azd deploy is the way there), before anything is called.
            File.Delete(log);
            environment["HOSTING_PLAN"] = "FlexConsumption";
            (exitCode, _, stderr) = await RunAsync("bash", [script, "--package-dir", packages], environment);
            Assert.Equal(1, exitCode);
            Assert.Contains("azd deploy", stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(log));
        }
        finally
        {
            work.Delete(recursive: true);
        }
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

    private static Task<(int ExitCode, string Stdout, string Stderr)> BuildMainAsync() => MainBuild.Value;

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

    /// <summary>
    /// The companion's /metrics needs a function key unless companionMetricsAnonymous swaps in the anonymous twin; the
    /// gateway runs only `gateway` and gets GATEWAY_CONFIG only when the parameter is set; same on either plan.
    /// </summary>
    private static void AssertAppsRunTheirOwnFunctions(JsonElement root, JsonElement gateway, JsonElement companion)
    {
        var variables = root.GetProperty("variables");
        Assert.Equal("[variables('gatewayDisabledFunctions')]", Parameter(gateway, "disabledFunctions").GetString());
        Assert.Equal("[variables('companionDisabledFunctions')]", Parameter(companion, "disabledFunctions").GetString());
        Assert.Equal(["metrics", "metrics-anonymous", "otlp"], variables.GetProperty("gatewayDisabledFunctions").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(
            ["gateway", "[if(parameters('companionMetricsAnonymous'), 'metrics', 'metrics-anonymous')]"],
            variables.GetProperty("companionDisabledFunctions").EnumerateArray().Select(e => e.GetString()));
        Assert.False(root.GetProperty("parameters").GetProperty("companionMetricsAnonymous").GetProperty("defaultValue").GetBoolean());

        Assert.Equal("[variables('companionAppSettings')]", Parameter(companion, "appSettings").GetString());
        Assert.Equal("companion", variables.GetProperty("companionAppSettings").GetProperty("GATEWAY_ROLE").GetString());
        Assert.Equal("[variables('gatewayAppSettings')]", Parameter(gateway, "appSettings").GetString());
        Assert.Contains("GATEWAY_CONFIG", variables.GetProperty("gatewayAppSettings").GetString(), StringComparison.Ordinal);
        Assert.Contains("empty(parameters('gatewayConfig'))", variables.GetProperty("gatewayAppSettings").GetString(), StringComparison.Ordinal);

        // Only the gateway pushes to the companion.
        Assert.Equal("[variables('companionAppName')]", Parameter(gateway, "companionAppName").GetString());
        Assert.False(ModuleParameters(companion).TryGetProperty("companionAppName", out _));
        Assert.Contains(gateway.GetProperty("dependsOn").EnumerateArray(), d => d.GetString()!.Contains("'companion", StringComparison.Ordinal));
    }

    private static string RoleOf(JsonElement roleAssignment)
    {
        var definition = roleAssignment.GetProperty("properties").GetProperty("roleDefinitionId").GetString()!;
        foreach (var variable in new[] { "storageBlobDataOwnerRoleId", "monitoringMetricsPublisherRoleId", "storageBlobDataContributorRoleId" })
        {
            if (definition.Contains($"variables('{variable}')", StringComparison.Ordinal))
            {
                return variable;
            }
        }

        return definition;
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string fileName, IEnumerable<string> arguments, IDictionary<string, string?>? environment = null)
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
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

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
