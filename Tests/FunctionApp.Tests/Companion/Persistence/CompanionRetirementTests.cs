using Azure.Storage.Blobs;
using FunctionApp.Companion;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Telemetry.Aggregation;
using Telemetry.Aggregation.Persistence;

namespace FunctionApp.Tests.Companion.Persistence;

/// <summary>
/// Retirement with durable shards against a real Azurite: silent gateway instances are folded once, by whichever
/// companion holds the lease, and dropped from every shard; a dead companion's shard is absorbed into the retired
/// state; a companion that only looked dead keeps its counts without counting its bases twice. The silence is a
/// couple of seconds here (minutes in production), and the tests run the rounds themselves.
/// </summary>
public sealed class CompanionRetirementTests(Azurite azurite) : IClassFixture<Azurite>
{
    private static readonly TimeSpan Silence = TimeSpan.FromSeconds(2);

    private CompanionOptions Options(string container, string instanceId) => new()
    {
        StorageConnectionString = azurite.ConnectionString,
        StorageContainer = container,
        InstanceId = instanceId,
        ReadEnvironment = false,
        PersistInterval = TimeSpan.FromHours(1), // the tests persist and retire explicitly
        MergeCacheDuration = TimeSpan.Zero,
        Aggregator = new AggregatorOptions { RetireAfter = Silence },
    };

    private static ShardPersistence Shard(WebApplication app) => app.Services.GetRequiredService<ShardPersistence>();

    private static Task WaitOutTheSilenceAsync() => Task.Delay(Silence + TimeSpan.FromMilliseconds(700));

    [Fact]
    public async Task SilentInstance_IsFoldedOnce_AndDroppedFromEveryShard()
    {
        var container = JobsCompanion.NewContainer();
        var a = await JobsCompanion.StartAsync(Options(container, "companion-a"));
        var b = await JobsCompanion.StartAsync(Options(container, "companion-b"));
        try
        {
            await JobsCompanion.PushAsync(a, "gw-1", 10, tick: 1);
            await JobsCompanion.PushAsync(b, "gw-1", 10, tick: 1); // a retried push landed on the other companion
            await JobsCompanion.PushAsync(b, "gw-2", 5, tick: 1);
            await WaitOutTheSilenceAsync();
            await JobsCompanion.PushAsync(b, "gw-2", 7, tick: 2); // gw-2 is alive; gw-1 went quiet
            Assert.True(await CompanionHost.PersistNowAsync(a));
            Assert.True(await CompanionHost.PersistNowAsync(b));

            // Both companions try at once; the lease lets one fold, and the other finds nothing left to fold.
            var rounds = await Task.WhenAll(Shard(a).RunRetirementRoundAsync(), Shard(b).RunRetirementRoundAsync());
            Assert.Equal(1, rounds.Count(r => r is not null && r.Folded.InstanceIds.Contains("gw-1")));
            Assert.DoesNotContain(rounds, r => r is not null && r.Folded.InstanceIds.Contains("gw-2"));
            await Shard(a).SyncRetirementsAsync();
            await Shard(b).SyncRetirementsAsync();

            Assert.Equal(17, await JobsCompanion.JobsTotalAsync(a));
            Assert.Equal(17, await JobsCompanion.JobsTotalAsync(b));
            Assert.Equal(0, await JobsCompanion.ValueAsync(a, "aggregator_instances"));
            Assert.Equal(1, await JobsCompanion.ValueAsync(b, "aggregator_instances"));

            // The persisted shards no longer carry gw-1; a late duplicate of its last push counts nothing.
            await CompanionHost.PersistNowAsync(a);
            await CompanionHost.PersistNowAsync(b);
            var store = BlobShardStore.FromConnectionString(azurite.ConnectionString, container);
            foreach (var shard in await store.ReadAllShardsAsync())
            {
                Assert.Equal(shard.InstanceId == "companion-b" ? 1 : 0, AggregatorSnapshot.FromBytes(shard.Bytes).InstanceCount);
            }

            await JobsCompanion.PushAsync(a, "gw-1", 10, tick: 1);
            Assert.Equal(17, await JobsCompanion.JobsTotalAsync(a));
            Assert.Equal(17, await JobsCompanion.JobsTotalAsync(b));
        }
        finally
        {
            await JobsCompanion.StopAsync(a);
            await JobsCompanion.StopAsync(b);
        }
    }

    [Fact]
    public async Task DeadCompanionsShard_IsAbsorbed_AndItsCountsStay()
    {
        var container = JobsCompanion.NewContainer();
        var a = await JobsCompanion.StartAsync(Options(container, "companion-a"));
        await JobsCompanion.PushAsync(a, "gw-1", 10, tick: 1);
        await JobsCompanion.PushAsync(a, "gw-1", 4, tick: 2); // a restart the start time did not reveal: 10 goes to a's base
        await JobsCompanion.StopAsync(a); // shutdown persists; companion-a is gone for good

        var b = await JobsCompanion.StartAsync(Options(container, "companion-b"));
        try
        {
            await JobsCompanion.PushAsync(b, "gw-2", 5, tick: 1);
            Assert.Equal(19, await JobsCompanion.JobsTotalAsync(b));
            await WaitOutTheSilenceAsync();
            await JobsCompanion.PushAsync(b, "gw-2", 6, tick: 2);
            Assert.True(await CompanionHost.PersistNowAsync(b));

            var round = await Shard(b).RunRetirementRoundAsync();
            Assert.NotNull(round);
            Assert.Equal(["companion-a"], round.ShardsAbsorbed);
            Assert.Equal(["gw-1"], round.Folded.InstanceIds);
            Assert.Equal(20, await JobsCompanion.JobsTotalAsync(b));
            Assert.False(await new BlobContainerClient(azurite.ConnectionString, container).GetBlobClient("shards/companion-a.bin").ExistsAsync());

            // A new companion with the old id starts empty: what its shard held is in the retired state, once.
            var again = await JobsCompanion.StartAsync(Options(container, "companion-a"));
            try
            {
                Assert.Equal(20, await JobsCompanion.JobsTotalAsync(again));
                Assert.True(await CompanionHost.PersistNowAsync(again));
                Assert.Equal(20, await JobsCompanion.JobsTotalAsync(b));
            }
            finally
            {
                await JobsCompanion.StopAsync(again);
            }
        }
        finally
        {
            await JobsCompanion.StopAsync(b);
        }
    }

    [Fact]
    public async Task CompanionThatOnlyLookedDead_KeepsItsCounts_WithoutCountingItsBasesTwice()
    {
        var container = JobsCompanion.NewContainer();
        var a = await JobsCompanion.StartAsync(Options(container, "companion-a"));
        var b = await JobsCompanion.StartAsync(Options(container, "companion-b"));
        try
        {
            await JobsCompanion.PushAsync(a, "gw-1", 10, tick: 1);
            await JobsCompanion.PushAsync(a, "gw-1", 4, tick: 2); // 10 in a's base, 4 live
            Assert.True(await CompanionHost.PersistNowAsync(a));

            // a stops writing (cut off from storage, say) for longer than the silence; gw-1 keeps pushing to it.
            await WaitOutTheSilenceAsync();
            await JobsCompanion.PushAsync(a, "gw-1", 6, tick: 3);
            await JobsCompanion.PushAsync(b, "gw-1", 6, tick: 3); // the retry that reached b keeps gw-1 alive in the round's eyes
            await JobsCompanion.PushAsync(b, "gw-2", 1, tick: 1);
            Assert.True(await CompanionHost.PersistNowAsync(b));
            var round = await Shard(b).RunRetirementRoundAsync();
            Assert.NotNull(round);
            Assert.Equal(["companion-a"], round.ShardsAbsorbed);
            Assert.Equal(17, await JobsCompanion.JobsTotalAsync(b)); // 10 (a's base, absorbed) + 6 + 1

            // a writes again: its shard is gone, so it takes the absorbed bases out and writes anew.
            Assert.True(await CompanionHost.PersistNowAsync(a));
            Assert.Equal(17, await JobsCompanion.JobsTotalAsync(a)); // 10 + 6 + 1
            Assert.Equal(17, await JobsCompanion.JobsTotalAsync(b));
        }
        finally
        {
            await JobsCompanion.StopAsync(a);
            await JobsCompanion.StopAsync(b);
        }
    }
}
