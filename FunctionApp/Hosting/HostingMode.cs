using System.Globalization;
using System.Net;
using FunctionApp.Gateway.Configuration;

namespace FunctionApp.Hosting;

/// <summary>
/// The one place where "running under Azure Functions" differs from "running standalone": where to listen, and
/// whether to answer the host's readiness probe. Everything else is shared.
/// </summary>
public sealed record HostingMode
{
    public const string CustomHandlerPortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <summary>"functions" or "standalone", for logs.</summary>
    public required string Name { get; init; }

    public required IPEndPoint ListenOn { get; init; }

    /// <summary>
    /// Under the Functions host, <c>GET /</c> without an invocation id is the host's readiness and status probe:
    /// it is answered at once and never proxied or counted.
    /// </summary>
    public required bool AnswersHostProbe { get; init; }

    /// <summary>The port the Functions host chose, when it is the host that started us.</summary>
    public static int? CustomHandlerPort(Func<string, string?> getSetting, out string? error)
    {
        error = null;
        var value = getSetting(CustomHandlerPortVariable);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            error = $"{CustomHandlerPortVariable}=\"{value}\" is not a valid port";
            return null;
        }

        return port;
    }

    public static HostingMode Resolve(GatewayModel model, CommandLine commandLine, int? customHandlerPort)
    {
        if (customHandlerPort is { } port)
        {
            return new HostingMode { Name = "functions", ListenOn = new IPEndPoint(IPAddress.Loopback, port), AnswersHostProbe = true };
        }

        var ip = commandLine.ListenIp ?? (model.ListenIp is null ? IPAddress.IPv6Any : IPAddress.Parse(model.ListenIp));
        return new HostingMode { Name = "standalone", ListenOn = new IPEndPoint(ip, commandLine.Port ?? model.Port), AnswersHostProbe = false };
    }
}
