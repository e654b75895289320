using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using FunctionApp.Companion;
using Microsoft.AspNetCore.Builder;

namespace FunctionApp.Tests.Companion.Persistence;

/// <summary>In-process companions on loopback, fed cumulative pushes of one counter <c>jobs</c> (as OTLP/JSON).</summary>
internal static partial class JobsCompanion
{
    private static readonly long Start = 1_700_000_000_000_000_000;

    public static string NewContainer() => "companion-" + Guid.NewGuid().ToString("N")[..12];

    public static async Task<WebApplication> StartAsync(CompanionOptions options)
    {
        var app = CompanionHost.Build(options, new IPEndPoint(IPAddress.Loopback, 0), answersHostProbe: false);
        await app.StartAsync();
        return app;
    }

    public static async Task StopAsync(WebApplication app)
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    /// <summary>A cumulative monotonic counter <c>jobs</c> of one gateway instance.</summary>
    public static string Push(string gatewayInstance, double value, int tick) => $$$"""
        {"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"gateway"}},{"key":"service.instance.id","value":{"stringValue":"{{{gatewayInstance}}}"}}]},
         "scopeMetrics":[{"scope":{"name":"gateway"},"metrics":[
          {"name":"jobs","sum":{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[{"asDouble":{{{value.ToString(CultureInfo.InvariantCulture)}}},"startTimeUnixNano":"{{{Start}}}","timeUnixNano":"{{{Start + (tick * 1_000_000_000L)}}}"}]}}
         ]}]}]}
        """;

    public static async Task PushAsync(WebApplication app, string gatewayInstance, double value, int tick)
    {
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        using var content = new StringContent(Push(gatewayInstance, value, tick), Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/v1/metrics", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public static async Task<double?> JobsTotalAsync(WebApplication app)
    {
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var exposition = await client.GetStringAsync("/metrics");
        var match = JobsLine().Match(exposition);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"^jobs_total(?:\{[^}]*\})? (\S+)$", RegexOptions.Multiline)]
    private static partial Regex JobsLine();

    /// <summary>A value of one unlabelled family of <c>/metrics</c> (e.g. the <c>aggregator_*</c> self-metrics).</summary>
    public static async Task<double?> ValueAsync(WebApplication app, string family)
    {
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var exposition = await client.GetStringAsync("/metrics");
        var match = Regex.Match(exposition, "^" + Regex.Escape(family) + @" (\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }
}
