using FunctionApp.Companion;
using FunctionApp.Gateway.Configuration;
using FunctionApp.Hosting;

// One binary, two modes: the Azure Functions host starts it as a custom handler (FUNCTIONS_CUSTOMHANDLER_PORT
// set), or a developer runs it standalone like KrakenD. See README.md.

var commandLine = CommandLine.Parse(args, out var usageError);
if (usageError is not null)
{
    Console.Error.WriteLine($"error: {usageError}");
    Console.Error.WriteLine(CommandLine.Usage);
    return 2;
}

switch (commandLine.Command)
{
    case GatewayCommand.Help:
        Console.WriteLine(CommandLine.Usage);
        return 0;
    case GatewayCommand.Version:
        Console.WriteLine($"serverless-gateway {typeof(Program).Assembly.GetName().Version} (KrakenD {FunctionApp.Gateway.GatewayVersion.KrakenDCompatible} compatible)");
        return 0;
    case GatewayCommand.Check:
        return ConfigCheck.Run(commandLine.ConfigPath!, Console.Out);
}

var customHandlerPort = HostingMode.CustomHandlerPort(Environment.GetEnvironmentVariable, out var portError);
if (portError is not null)
{
    Console.Error.WriteLine($"error: {portError}");
    return 2;
}

if (commandLine.Command == GatewayCommand.Companion
    || (customHandlerPort is not null && string.Equals(Environment.GetEnvironmentVariable(CompanionOptions.RoleSetting), "companion", StringComparison.OrdinalIgnoreCase)))
{
    var companionOptions = new CompanionOptions
    {
        IngestPath = Environment.GetEnvironmentVariable(CompanionOptions.IngestPathSetting) is { Length: > 1 } ingestPath && ingestPath[0] == '/' ? ingestPath : "/v1/metrics",
        StorageConnectionString = commandLine.Storage,
        InstanceId = commandLine.InstanceId,
    };
    var listenOn = customHandlerPort is { } handlerPort
        ? new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, handlerPort)
        : new System.Net.IPEndPoint(commandLine.ListenIp ?? System.Net.IPAddress.IPv6Any, commandLine.Port ?? CompanionOptions.DefaultPort);
    var companion = CompanionHost.Build(companionOptions, listenOn, answersHostProbe: customHandlerPort is not null);
    try
    {
        await companion.RunAsync();
    }
    catch (IOException e)
    {
        Console.Error.WriteLine($"error: cannot listen on {listenOn}: {e.Message}");
        return 1;
    }

    return 0;
}

GatewayModel model;
try
{
    var (json, description, origin) = ConfigLoader.Locate(commandLine.ConfigPath, Environment.GetEnvironmentVariable(ConfigLoader.ConfigSetting));
    if (origin == ConfigOrigin.Embedded)
    {
        // The embedded default proxies to the gateway's own built-in endpoints, so it must know our port.
        json = ConfigLoader.ReadEmbeddedDefault(customHandlerPort ?? commandLine.Port ?? GatewayModelBuilder.DefaultPort, Environment.GetEnvironmentVariable);
    }

    model = ConfigLoader.Load(json, description);
}
catch (ConfigException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

var mode = HostingMode.Resolve(model, commandLine, customHandlerPort);
var app = GatewayHost.Build(model, mode);
try
{
    await app.RunAsync();
}
catch (IOException e)
{
    Console.Error.WriteLine($"error: cannot listen on {mode.ListenOn}: {e.Message}");
    return 1;
}

return 0;
