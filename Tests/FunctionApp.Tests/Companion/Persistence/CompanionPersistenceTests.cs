using Azure.Storage.Blobs;
using FunctionApp.Companion;
using FunctionApp.Tests.Common;

namespace FunctionApp.Tests.Companion.Persistence;

/// <summary>
/// The companion's durable shards against a real Azurite: a restart with the same instance id continues its totals,
/// two companions on one account serve the same exact totals, and a corrupt shard is skipped.
/// </summary>
public sealed class CompanionPersistenceTests(Azurite azurite) : IClassFixture<Azurite>
{
    private CompanionOptions Options(string container, string instanceId) => new()
    {
        StorageConnectionString = azurite.ConnectionString,
        StorageContainer = container,
        InstanceId = instanceId,
        ReadEnvironment = false,
        PersistInterval = TimeSpan.FromHours(1), // the tests persist explicitly
        MergeCacheDuration = TimeSpan.Zero,
    };

    [Fact]
    public async Task Restart_WithTheSameInstanceId_ContinuesTheTotals()
    {
        var container = JobsCompanion.NewContainer();
        var first = await JobsCompanion.StartAsync(Options(container, "companion-a"));
        try
        {
            await JobsCompanion.PushAsync(first, "gw-1", 3, tick: 1);
            await JobsCompanion.PushAsync(first, "gw-2", 4, tick: 1);
            Assert.Equal(7, await JobsCompanion.JobsTotalAsync(first));
        }
        finally
        {
            await JobsCompanion.StopAsync(first); // shutdown persists
        }

        var second = await JobsCompanion.StartAsync(Options(container, "companion-a"));
        try
        {
            Assert.Equal(7, await JobsCompanion.JobsTotalAsync(second));

            // The same push again changes nothing; a newer cumulative value replaces that instance's entry.
            await JobsCompanion.PushAsync(second, "gw-1", 3, tick: 1);
            await JobsCompanion.PushAsync(second, "gw-1", 5, tick: 2);
            Assert.Equal(9, await JobsCompanion.JobsTotalAsync(second));
        }
        finally
        {
            await JobsCompanion.StopAsync(second);
        }
    }

    [Fact]
    public async Task TwoCompanions_SameAccount_EachServeTheExactTotal()
    {
        var container = JobsCompanion.NewContainer();
        var a = await JobsCompanion.StartAsync(Options(container, "companion-a"));
        var b = await JobsCompanion.StartAsync(Options(container, "companion-b"));
        try
        {
            await JobsCompanion.PushAsync(a, "gw-1", 10, tick: 1);
            await JobsCompanion.PushAsync(b, "gw-2", 20, tick: 1);

            // The same pushes reach both companions (a retry landed on the other instance).
            await JobsCompanion.PushAsync(a, "gw-3", 5, tick: 1);
            await JobsCompanion.PushAsync(b, "gw-3", 5, tick: 1);

            // gw-1 moved on; b only saw the old point of it.
            await JobsCompanion.PushAsync(b, "gw-1", 10, tick: 1);
            await JobsCompanion.PushAsync(a, "gw-1", 12, tick: 2);

            Assert.True(await CompanionHost.PersistNowAsync(a));
            Assert.True(await CompanionHost.PersistNowAsync(b));
            Assert.False(await CompanionHost.PersistNowAsync(b)); // nothing changed since

            Assert.Equal(37, await JobsCompanion.JobsTotalAsync(a));
            Assert.Equal(37, await JobsCompanion.JobsTotalAsync(b));
        }
        finally
        {
            await JobsCompanion.StopAsync(a);
            await JobsCompanion.StopAsync(b);
        }

        // A third companion with a new id starts empty and counts nothing twice.
        var c = await JobsCompanion.StartAsync(Options(container, "companion-c"));
        try
        {
            Assert.Equal(37, await JobsCompanion.JobsTotalAsync(c));
            await JobsCompanion.PushAsync(c, "gw-2", 20, tick: 1);
            await JobsCompanion.PushAsync(c, "gw-4", 1, tick: 1);
            Assert.Equal(38, await JobsCompanion.JobsTotalAsync(c));
        }
        finally
        {
            await JobsCompanion.StopAsync(c);
        }
    }

    [Fact]
    public async Task CorruptShard_IsSkipped_NotACrash()
    {
        var container = JobsCompanion.NewContainer();
        var blobs = new BlobContainerClient(azurite.ConnectionString, container);
        await blobs.CreateIfNotExistsAsync();
        await blobs.GetBlobClient("shards/companion-x.bin").UploadAsync(BinaryData.FromString("not a snapshot"));
        await blobs.GetBlobClient("shards/companion-a.bin").UploadAsync(BinaryData.FromBytes([1, 2, 3, 4, 5, 6, 7, 8]));

        // Its own shard corrupt: logged, started over (never merged in); another shard corrupt: skipped on read.
        var a = await JobsCompanion.StartAsync(Options(container, "companion-a"));
        try
        {
            await JobsCompanion.PushAsync(a, "gw-1", 2, tick: 1);
            Assert.Equal(2, await JobsCompanion.JobsTotalAsync(a));
            Assert.True(await CompanionHost.PersistNowAsync(a));
            Assert.Equal(2, await JobsCompanion.JobsTotalAsync(a));
        }
        finally
        {
            await JobsCompanion.StopAsync(a);
        }
    }
}
