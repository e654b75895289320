using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using FunctionApp.Companion;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Builder;

namespace FunctionApp.Tests.Companion.Persistence;

/// <summary>
/// The companion's durable shards against a real Azurite: a restart with the same instance id continues its totals,
/// two companions on one account serve the same exact totals, and a corrupt shard is skipped.
/// </summary>
public sealed partial class CompanionPersistenceTests(Azurite azurite) : IClassFixture<Azurite>
{
    private static readonly long Start = 1_700_000_000_000_000_000;

    private CompanionOptions Options(string container, string instanceId) => new()
    {
        StorageConnectionString = azurite.ConnectionString,
        StorageContainer = container,
        InstanceId = instanceId,
        ReadEnvironment = false,
        PersistInterval = TimeSpan.FromHours(1), // the tests persist explicitly
        MergeCacheDuration = TimeSpan.Zero,
    };

    private static string NewContainer() => "companion-" + Guid.NewGuid().ToString("N")[..12];

    private static async Task<WebApplication> StartAsync(CompanionOptions options)
    {
        var app = CompanionHost.Build(options, new IPEndPoint(IPAddress.Loopback, 0), answersHostProbe: false);
        await app.StartAsync();
        return app;
    }

    private static async Task StopAsync(WebApplication app)
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    /// <summary>A cumulative monotonic counter <c>jobs</c> of one gateway instance.</summary>
    private static string Push(string gatewayInstance, double value, int tick) => $$$"""
        {"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"gateway"}},{"key":"service.instance.id","value":{"stringValue":"{{{gatewayInstance}}}"}}]},
         "scopeMetrics":[{"scope":{"name":"gateway"},"metrics":[
          {"name":"jobs","sum":{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[{"asDouble":{{{value.ToString(CultureInfo.InvariantCulture)}}},"startTimeUnixNano":"{{{Start}}}","timeUnixNano":"{{{Start + (tick * 1_000_000_000L)}}}"}]}}
         ]}]}]}
        """;

    private static async Task PushAsync(WebApplication app, string gatewayInstance, double value, int tick)
    {
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        using var content = new StringContent(Push(gatewayInstance, value, tick), Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/v1/metrics", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<double?> JobsTotalAsync(WebApplication app)
    {
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var exposition = await client.GetStringAsync("/metrics");
        var match = JobsLine().Match(exposition);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"^jobs_total(?:\{[^}]*\})? (\S+)$", RegexOptions.Multiline)]
    private static partial Regex JobsLine();

    [Fact]
    public async Task Restart_WithTheSameInstanceId_ContinuesTheTotals()
    {
        var container = NewContainer();
        var first = await StartAsync(Options(container, "companion-a"));
        try
        {
            await PushAsync(first, "gw-1", 3, tick: 1);
            await PushAsync(first, "gw-2", 4, tick: 1);
            Assert.Equal(7, await JobsTotalAsync(first));
        }
        finally
        {
            await StopAsync(first); // shutdown persists
        }

        var second = await StartAsync(Options(container, "companion-a"));
        try
        {
            Assert.Equal(7, await JobsTotalAsync(second));

            // The same push again changes nothing; a newer cumulative value replaces that instance's entry.
            await PushAsync(second, "gw-1", 3, tick: 1);
            await PushAsync(second, "gw-1", 5, tick: 2);
            Assert.Equal(9, await JobsTotalAsync(second));
        }
        finally
        {
            await StopAsync(second);
        }
    }

    [Fact]
    public async Task TwoCompanions_SameAccount_EachServeTheExactTotal()
    {
        var container = NewContainer();
        var a = await StartAsync(Options(container, "companion-a"));
        var b = await StartAsync(Options(container, "companion-b"));
        try
        {
            await PushAsync(a, "gw-1", 10, tick: 1);
            await PushAsync(b, "gw-2", 20, tick: 1);

            // The same pushes reach both companions (a retry landed on the other instance).
            await PushAsync(a, "gw-3", 5, tick: 1);
            await PushAsync(b, "gw-3", 5, tick: 1);

            // gw-1 moved on; b only saw the old point of it.
            await PushAsync(b, "gw-1", 10, tick: 1);
            await PushAsync(a, "gw-1", 12, tick: 2);

            Assert.True(await CompanionHost.PersistNowAsync(a));
            Assert.True(await CompanionHost.PersistNowAsync(b));
            Assert.False(await CompanionHost.PersistNowAsync(b)); // nothing changed since

            Assert.Equal(37, await JobsTotalAsync(a));
            Assert.Equal(37, await JobsTotalAsync(b));
        }
        finally
        {
            await StopAsync(a);
            await StopAsync(b);
        }

        // A third companion with a new id starts empty and counts nothing twice.
        var c = await StartAsync(Options(container, "companion-c"));
        try
        {
            Assert.Equal(37, await JobsTotalAsync(c));
            await PushAsync(c, "gw-2", 20, tick: 1);
            await PushAsync(c, "gw-4", 1, tick: 1);
            Assert.Equal(38, await JobsTotalAsync(c));
        }
        finally
        {
            await StopAsync(c);
        }
    }

    [Fact]
    public async Task CorruptShard_IsSkipped_NotACrash()
    {
        var container = NewContainer();
        var blobs = new BlobContainerClient(azurite.ConnectionString, container);
        await blobs.CreateIfNotExistsAsync();
        await blobs.GetBlobClient("shards/companion-x.bin").UploadAsync(BinaryData.FromString("not a snapshot"));
        await blobs.GetBlobClient("shards/companion-a.bin").UploadAsync(BinaryData.FromBytes([1, 2, 3, 4, 5, 6, 7, 8]));

        // Its own shard corrupt: logged, started over (never merged in); another shard corrupt: skipped on read.
        var a = await StartAsync(Options(container, "companion-a"));
        try
        {
            await PushAsync(a, "gw-1", 2, tick: 1);
            Assert.Equal(2, await JobsTotalAsync(a));
            Assert.True(await CompanionHost.PersistNowAsync(a));
            Assert.Equal(2, await JobsTotalAsync(a));
        }
        finally
        {
            await StopAsync(a);
        }
    }
}
