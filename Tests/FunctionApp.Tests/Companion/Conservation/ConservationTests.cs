using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using FunctionApp.Tests.Common;
using FunctionApp.Tests.Companion.Prometheus;
using Xunit.Abstractions;

namespace FunctionApp.Tests.Companion.Conservation;

/// <summary>
/// The conservation test: every request a gateway answered is counted exactly once in what Prometheus reports, per
/// route and status, whatever happened to the pushes on the way and to the companions.
/// <para>
/// Setup, all real processes: three gateways (the FunctionApp binary in Functions mode, each its own
/// <c>service.instance.id</c>) push at the end of every invocation through a <see cref="FaultInjectingProxy"/> that
/// spreads the pushes over two companions (seeded random), delivers some twice (to the same or the other companion),
/// holds some back until after the instance's next push (out of order), and loses those it cannot deliver. The two
/// companions (<c>FunctionApp companion</c>) share one Azurite storage account, each its own shard (<c>--instance-id</c>).
/// Companion B is killed with <c>SIGKILL</c> mid-run (the test checks it holds pushes it has not written to its shard
/// yet), the gateways keep serving while it is down (the pushes routed to it are lost), and B restarts with the same
/// id and storage. A real Prometheus scrapes B, i.e. the merge of every shard. The restarted B may show less than it
/// did before the kill (its shard lags): to Prometheus a counter reset, expected; the end result must still be exact.
/// </para>
/// <para>
/// Why the final count is exact, not merely close: (1) a gateway pushes <em>cumulative</em> values, all of its series in
/// every push, each point stamped with its collection time; (2) a companion keeps, per (gateway instance, series), the
/// point with the newest timestamp, so a duplicate (same timestamp) or a late, older push changes nothing, and the
/// merge of shards applies the same rule across shards before summing over instances, so a push that reached both
/// companions counts once; (3) a push that was lost, or that B ingested but never persisted before the kill, only
/// loses a value that the same instance's later pushes supersede: every gateway serves more requests of every route
/// after B is back, then stops gracefully (SIGTERM, one last push), and the proxy releases what it still holds. So for
/// every instance the newest push, carrying its full totals, reached a companion that is either B (live, scraped) or
/// A (stopped gracefully, which writes its shard). (4) The scrape the test queries started after A's last write plus
/// B's 1.5 s cache of the other shards. So each instance is counted with its final total, once: the sum is what was sent.
/// Also, no scrape in the whole run may have shown more than was sent (a merged value is a sum of real cumulative
/// values, each at most its final value): over-counting never happens, not even transiently.
/// </para>
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class ConservationTests(Azurite azurite, ITestOutputHelper output) : IClassFixture<Azurite>
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a companion reuses its read of the other shards (<c>CompanionOptions.MergeCacheDuration</c>), plus margin.</summary>
    private static readonly TimeSpan MergeCache = TimeSpan.FromSeconds(2);

    private const string Container = "companion-state";

    [Fact]
    public async Task FaultyPushes_KilledCompanion_TwoShards_PrometheusCountsEveryRequestExactlyOnce()
    {
        var clock = Stopwatch.StartNew();
        void Log(string message) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  {message}");

        await using var backend = await CountedTraffic.StartBackendAsync();
        var companionA = new CompanionSlot("companion-a", GatewayProcess.FreePort());
        var companionB = new CompanionSlot("companion-b", GatewayProcess.FreePort());
        await using var proxy = await FaultInjectingProxy.StartAsync([companionA.BaseUri, companionB.BaseUri]);
        var config = Path.Combine(Path.GetTempPath(), $"conservation-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, CountedTraffic.GatewayConfig(backend));
        var gateways = new List<Gateway>();
        var prometheusStart = PrometheusServer.StartAsync(new PrometheusScrapeTarget(companionB.Address));
        PrometheusServer? prometheus = null;
        try
        {
            // :: Start everything at once (two cores: the processes' start-up overlaps).
            StartCompanion(companionA);
            StartCompanion(companionB);
            for (var g = 0; g < 3; g++)
            {
                var port = GatewayProcess.FreePort();
                gateways.Add(new Gateway(
                    StoppableProcess.Start($"gateway-{g}", ["-c", config], CountedTraffic.GatewayEnvironment(port, proxy.IngestUrl)),
                    new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) }));
            }

            await Task.WhenAll(
                companionA.WaitUntilServingAsync(),
                companionB.WaitUntilServingAsync(),
                Task.WhenAll(gateways.Select(g => g.Process.WaitUntilServingAsync(g.Client, "/", StartTimeout))));
            prometheus = await prometheusStart;
            Log("started: 3 gateways, 2 companions, proxy, Prometheus");

            var traffic = new CountedTraffic();
            string Describe() => string.Join("\n", gateways.Select(g => $"{g.Process.Name}:\n{g.Process.Output}"))
                + $"\n{companionA.Describe()}\n{companionB.Describe()}\nproxy: {proxy.Counts}";
            RouteCall ok = RouteCall.Ok, failing = RouteCall.Failing, unknown = RouteCall.Unknown;
            Task SendAsync(params RouteCall[] calls) => Task.WhenAll(gateways.Select(g => traffic.SendAsync(g.Client, calls, Describe)));

            // :: Phase 1, both companions up, until B has written its shard at least once (every 5 s when changed).
            var shardB = new BlobContainerClient(azurite.ConnectionString, Container).GetBlobClient($"shards/{companionB.InstanceId}.bin");
            await SendAsync(ok, failing, ok, unknown, ok, ok, failing, ok);
            var persistDeadline = Stopwatch.StartNew();
            while (!await ShardExistsAsync(shardB))
            {
                if (persistDeadline.Elapsed > TimeSpan.FromSeconds(30))
                {
                    Assert.Fail("companion B never wrote its shard\n" + Describe());
                }

                await Task.Delay(100);
            }

            // B takes pushes it has not written yet (it writes again 5 s after its last write), then dies: they are lost.
            for (var round = 1; ; round++)
            {
                var written = (await shardB.GetPropertiesAsync()).Value.ETag;
                var deliveredToB = proxy.Counts.Delivered[1];
                await SendAsync(ok, failing, unknown);
                if (proxy.Counts.Delivered[1] > deliveredToB && (await shardB.GetPropertiesAsync()).Value.ETag == written)
                {
                    break;
                }

                if (round == 5)
                {
                    Assert.Fail("companion B never held unwritten pushes\n" + Describe());
                }
            }

            await companionB.KillAsync();
            var sentBeforeKill = traffic.Total;
            Log($"phase 1: {traffic.Total} requests; companion B killed (SIGKILL)");

            // :: Phase 2, B down: the pushes the proxy sends to B are lost.
            await SendAsync(ok, unknown, ok, failing, ok, ok);
            Log($"phase 2: {traffic.Total} requests with B down; proxy {proxy.Counts}");

            // :: B restarts with the same instance id and storage: it continues from its shard.
            StartCompanion(companionB);
            await companionB.WaitUntilServingAsync();
            var viewAfterRestart = await companionB.ServerCountAsync();
            Log($"companion B restarted; its merged view: {viewAfterRestart} of {traffic.Total} ({sentBeforeKill} sent before the kill)");

            // :: Phase 3, both up again: every gateway serves every route again, so its newest push carries all its totals.
            await SendAsync(ok, failing, unknown, ok, ok, failing, ok, unknown);
            Log($"phase 3: {traffic.Total} requests in all");

            // :: The end: gateways stop gracefully (a last push each), the proxy releases what it holds.
            await Task.WhenAll(gateways.Select(g => g.Process.StopAsync(StopTimeout)));
            await proxy.ReleaseHeldAsync();
            var faults = proxy.Counts;
            Log($"gateways stopped; proxy {faults}");

            // The companions saw the faults (their own counters; B's since its restart).
            var dropped = Sum(await companionA.DroppedAsync(), await companionB.DroppedAsync());

            // A stops gracefully, which writes its shard; B's next read of the other shards sees it.
            await companionA.StopAsync(StopTimeout);
            var settled = DateTimeOffset.UtcNow + MergeCache;
            await prometheus.WaitForScrapeAsync(settled, TimeSpan.FromSeconds(30));
            Log("companion A stopped (shard written); Prometheus scraped B after that");

            // :: Conservation: exactly what was sent, per route and status, and in all.
            var counts = CountedTraffic.ByRouteAndStatus(await prometheus.QueryAsync(
                "sum by (http_route, http_response_status_code) (http_server_duration_count{job=\"companion\"})"));
            var message = $"sent: {CountedTraffic.Describe(traffic.Sent)}\nPrometheus: {CountedTraffic.Describe(counts)}\nproxy: {faults}\n{Describe()}";
            Assert.True(traffic.Sent.Count == counts.Count && traffic.Sent.All(p => counts.TryGetValue(p.Key, out var n) && n == p.Value), message);
            Assert.Equal(3, counts.Count);
            Assert.Equal(traffic.Total, Assert.Single(await prometheus.QueryAsync("sum(http_server_duration_count{job=\"companion\"})")).Value);

            // Never more than was sent, at any scrape of the run (not even while B was restarting).
            var highest = CountedTraffic.ByRouteAndStatus(await prometheus.QueryAsync(
                "max_over_time((sum by (http_route, http_response_status_code) (http_server_duration_count{job=\"companion\"}))[10m:250ms])"));
            Assert.True(highest.All(p => p.Value <= traffic.Sent.GetValueOrDefault(p.Key)), $"over-counted at some scrape: {CountedTraffic.Describe(highest)}\n{message}");

            // :: Not vacuous: the faults really happened.
            Assert.True(faults.Duplicated > 0, $"no duplicate delivered: {faults}");
            Assert.True(faults.DuplicatedToOtherCompanion > 0, $"no duplicate delivered to the other companion: {faults}");
            Assert.True(faults.Reordered > 0, $"no push delivered out of order: {faults}");
            Assert.True(faults.Lost > 0, $"no push lost while B was down: {faults}");
            Assert.All(faults.Delivered, n => Assert.True(n > 0, $"a companion got no push: {faults}"));
            Assert.True(dropped.Duplicate > 0, $"the companions dropped no duplicate point ({dropped})");
            Assert.True(dropped.OutOfOrder > 0, $"the companions dropped no out-of-order point ({dropped})");
            Log($"exact: {traffic.Total} requests; companions dropped {dropped}");
        }
        finally
        {
            foreach (var gateway in gateways)
            {
                gateway.Client.Dispose();
                await gateway.Process.DisposeAsync();
            }

            await companionA.DisposeAsync();
            await companionB.DisposeAsync();
            await DisposeAsync(prometheus, prometheusStart);
            File.Delete(config);
        }

        void StartCompanion(CompanionSlot slot) => slot.Start(
        [
            "companion", "-p", slot.Port.ToString(CultureInfo.InvariantCulture), "--listen-ip", "127.0.0.1",
            "--storage", azurite.ConnectionString, "--instance-id", slot.InstanceId,
        ]);
    }

    private static async Task<bool> ShardExistsAsync(BlobClient shard)
    {
        try
        {
            return (await shard.ExistsAsync()).Value;
        }
        catch (Azure.RequestFailedException)
        {
            return false; // the container is not there yet
        }
    }

    /// <summary>Disposes Prometheus, also when the test failed before its start was awaited.</summary>
    private static async Task DisposeAsync(PrometheusServer? started, Task<PrometheusServer> starting)
    {
        if (started is null)
        {
            try
            {
                started = await starting;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException)
            {
                return; // it cleaned up after itself; the test has already failed
            }
        }

        await started.DisposeAsync();
    }

    private static (long Duplicate, long OutOfOrder) Sum((long Duplicate, long OutOfOrder) a, (long Duplicate, long OutOfOrder) b) =>
        (a.Duplicate + b.Duplicate, a.OutOfOrder + b.OutOfOrder);

    [GeneratedRegex(@"^aggregator_points_dropped_total\{reason=""(?<reason>[a-z_]+)""\} (?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex DroppedLine();

    private sealed record Gateway(StoppableProcess Process, HttpClient Client);

    /// <summary>One companion: its shard id and port stay, its process may be killed and started again.</summary>
    private sealed class CompanionSlot(string instanceId, int port) : IAsyncDisposable
    {
        private readonly HttpClient _client = new(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };

        public string InstanceId { get; } = instanceId;

        public int Port { get; } = port;

        public string Address => $"127.0.0.1:{Port}";

        public Uri BaseUri => new($"http://{Address}");

        private StoppableProcess? _process;
        private string _earlierOutput = "";

        /// <summary>Starts the companion process (again, after <see cref="KillAsync"/>).</summary>
        public void Start(IEnumerable<string> arguments)
        {
            if (_process is not null)
            {
                throw new InvalidOperationException($"{InstanceId} is running");
            }

            _process = StoppableProcess.Start(InstanceId, arguments);
        }

        public Task WaitUntilServingAsync() => Running.WaitUntilServingAsync(_client, "/metrics", StartTimeout);

        /// <summary>SIGKILL: whatever it ingested since its last shard write is gone.</summary>
        public async Task KillAsync()
        {
            var process = Running;
            await process.KillAsync();
            _earlierOutput += process.Output + "(killed)\n";
            await process.DisposeAsync();
            _process = null;
        }

        /// <summary>SIGTERM: it writes its shard and exits.</summary>
        public Task StopAsync(TimeSpan timeout) => Running.StopAsync(timeout);

        public string Describe() => $"{InstanceId}:\n{_earlierOutput}{_process?.Output}";

        private StoppableProcess Running => _process ?? throw new InvalidOperationException($"{InstanceId} is not running");

        /// <summary>The companion's own counters of points it dropped as duplicates and as out of order.</summary>
        public async Task<(long Duplicate, long OutOfOrder)> DroppedAsync()
        {
            var exposition = await _client.GetStringAsync("/metrics");
            long duplicate = 0, outOfOrder = 0;
            foreach (Match match in DroppedLine().Matches(exposition))
            {
                var value = (long)double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
                switch (match.Groups["reason"].Value)
                {
                    case "duplicate":
                        duplicate += value;
                        break;
                    case "out_of_order":
                        outOfOrder += value;
                        break;
                }
            }

            return (duplicate, outOfOrder);
        }

        /// <summary>The companion's merged <c>http_server_duration_count</c> over every route.</summary>
        public async Task<long> ServerCountAsync()
        {
            var exposition = await _client.GetStringAsync("/metrics");
            return ServerCountLine().Matches(exposition).Sum(m => long.Parse(m.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture));
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            if (_process is not null)
            {
                await _process.DisposeAsync();
            }
        }
    }

    [GeneratedRegex(@"^http_server_duration_count\{[^}]*\} (?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex ServerCountLine();
}
