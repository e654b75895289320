using Azure.Storage.Blobs.Specialized;

namespace Telemetry.Aggregation.Persistence;

/// <summary>
/// One retirement round over the shared state, run by whichever companion holds the lease on <c>retired.bin</c>
/// (so two companions never fold the same instance twice):
/// <list type="number">
/// <item>read every shard, then the retired state, skipping shard versions the retired state absorbed already;</item>
/// <item>lease the stale shards (not written for <see cref="AggregatorOptions.RetireAfter"/>: their companion is
/// gone, since a live one rewrites its shard at least every heartbeat) so their owner cannot write them meanwhile;</item>
/// <item>merge the retired state, the stale shards whole, and the live shards and this companion's live state
/// without their bases (those stay where they are), and fold the instances silent for longer than
/// <see cref="AggregatorOptions.RetireAfter"/> into the retired bases, leaving tombstones;</item>
/// <item>write the result as the new retired state, listing the absorbed shard versions, then delete those shards.</item>
/// </list>
/// The retired state keeps copies of live entries; that is harmless, since per (instance, series, run) the newest
/// point wins, while bases, which add, are only ever held by one blob. Every companion then drops the folded entries
/// from its own shard (<see cref="MetricAggregator.ApplyRetirements"/>).
/// </summary>
public sealed class SharedRetirement
{
    /// <summary>How long an absorbed shard version stays listed (readers skip it meanwhile) after its deletion.</summary>
    private static readonly TimeSpan AbsorbedListing = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(60);

    private readonly BlobShardStore _store;
    private readonly AggregatorOptions _options;
    private readonly TimeProvider _time;

    public SharedRetirement(BlobShardStore store, AggregatorOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _options = options;
        _time = time;
    }

    /// <summary>
    /// Runs one round unless another companion holds the lease (then returns null). <paramref name="selfId"/> and
    /// <paramref name="live"/> are the calling companion's shard id and current state (fresher than its blob).
    /// </summary>
    public async Task<SharedRetirementResult?> RunAsync(string selfId, AggregatorSnapshot live, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(live);
        var lease = await _store.TryAcquireRetirementLeaseAsync(AggregatorSnapshot.Empty.ToBytes(), LeaseDuration, cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            return null;
        }

        var shardLeases = new List<(StoredShard Shard, BlobLeaseClient Lease)>();
        try
        {
            var now = _time.GetUtcNow();
            var shards = await _store.ReadAllShardsAsync(cancellationToken).ConfigureAwait(false);
            var retired = await _store.ReadRetiredAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var retiredSnapshot = retired is { Bytes.Length: > 0 } ? AggregatorSnapshot.FromBytes(retired.Bytes) : AggregatorSnapshot.Empty;
            var absorbed = retired?.Absorbed.ToList() ?? [];

            var sources = new List<AggregatorSnapshot> { retiredSnapshot, live.WithoutBases() };
            foreach (var shard in shards)
            {
                if (shard.InstanceId == selfId || absorbed.Any(a => a.InstanceId == shard.InstanceId && a.ETag == shard.ETag))
                {
                    continue;
                }

                AggregatorSnapshot snapshot;
                try
                {
                    snapshot = AggregatorSnapshot.FromBytes(shard.Bytes);
                }
                catch (InvalidDataException)
                {
                    continue; // never absorbed or deleted: a person may want to look at it
                }

                if (now - shard.LastModified > _options.RetireAfter
                    && await _store.TryLeaseShardAsync(shard.InstanceId, shard.ETag, LeaseDuration, cancellationToken).ConfigureAwait(false) is { } shardLease)
                {
                    shardLeases.Add((shard, shardLease));
                    sources.Add(snapshot);
                }
                else
                {
                    sources.Add(snapshot.WithoutBases());
                }
            }

            var merged = MetricAggregator.FromSnapshots(_options, _time, sources);
            var folded = merged.FoldRetiredInstances(now, _options.RetireAfter);
            var nowMs = now.ToUnixTimeMilliseconds();
            var stillListed = absorbed.Where(a => nowMs - a.AbsorbedAtUnixMs < AbsorbedListing.TotalMilliseconds || shards.Any(s => s.InstanceId == a.InstanceId && s.ETag == a.ETag)).ToList();
            var changed = folded.InstanceIds.Count > 0 || folded.TombstonesPruned > 0 || shardLeases.Count > 0 || stillListed.Count != absorbed.Count;
            if (!changed)
            {
                return new SharedRetirementResult(folded, [], false);
            }

            stillListed.AddRange(shardLeases.Select(l => new AbsorbedShard(l.Shard.InstanceId, l.Shard.ETag, nowMs)));
            var state = merged.CreateSnapshot();
            await _store.WriteRetiredAsync(state.ToBytes(), stillListed, lease.LeaseId, cancellationToken).ConfigureAwait(false);

            var deleted = new List<string>();
            foreach (var (shard, shardLease) in shardLeases)
            {
                if (await _store.DeleteShardAsync(shard.InstanceId, shardLease.LeaseId, cancellationToken).ConfigureAwait(false))
                {
                    deleted.Add(shard.InstanceId);
                }
            }

            shardLeases.Clear();
            return new SharedRetirementResult(folded, deleted, true);
        }
        finally
        {
            foreach (var (_, shardLease) in shardLeases)
            {
                await ReleaseQuietlyAsync(shardLease).ConfigureAwait(false);
            }

            await ReleaseQuietlyAsync(lease).ConfigureAwait(false);
        }
    }

    private static async Task ReleaseQuietlyAsync(BlobLeaseClient lease)
    {
        try
        {
            await lease.ReleaseAsync().ConfigureAwait(false);
        }
        catch (Azure.RequestFailedException)
        {
            // Expired or the blob is gone: the lease ends by itself.
        }
    }
}

/// <summary>What one <see cref="SharedRetirement.RunAsync"/> did.</summary>
/// <param name="Folded">The instances folded into the retired state.</param>
/// <param name="ShardsAbsorbed">Stale shards absorbed into the retired state and deleted.</param>
/// <param name="Written">Whether the retired state was rewritten.</param>
public sealed record SharedRetirementResult(RetirementResult Folded, IReadOnlyList<string> ShardsAbsorbed, bool Written);
