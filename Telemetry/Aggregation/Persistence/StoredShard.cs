namespace Telemetry.Aggregation.Persistence;

/// <summary>One companion instance's shard as read from storage: its snapshot bytes, version and last write time.</summary>
public sealed record StoredShard(string InstanceId, byte[] Bytes, string ETag, DateTimeOffset LastModified);

/// <summary>
/// The shared retired state as read from storage: a snapshot (retired bases, tombstones, and the entries of absorbed
/// shards) and the shard versions absorbed into it, which readers must skip.
/// </summary>
public sealed record RetiredState(byte[] Bytes, string ETag, IReadOnlyList<AbsorbedShard> Absorbed)
{
    /// <summary>Returned by a conditional read when the blob has not changed.</summary>
    public static RetiredState Unchanged { get; } = new([], "", []);

    /// <summary>Whether that version of the shard of <paramref name="instanceId"/> was absorbed (its content is in this state already).</summary>
    public bool HasAbsorbed(string instanceId, string eTag) =>
        Absorbed.Any(a => a.InstanceId == instanceId && a.ETag == eTag);
}

/// <summary>A shard version absorbed into the retired state by a retirement round, and when.</summary>
public sealed record AbsorbedShard(string InstanceId, string ETag, long AbsorbedAtUnixMs)
{
    // Instance ids are letters, digits, '-', '_' and '.'; versions are hex: '@' and ',' separate them safely in metadata.
    internal static string FormatList(IEnumerable<AbsorbedShard> shards) =>
        string.Join(',', shards.Select(static s => $"{s.InstanceId}@{s.ETag}@{s.AbsorbedAtUnixMs.ToString(System.Globalization.CultureInfo.InvariantCulture)}"));

    internal static IReadOnlyList<AbsorbedShard> ParseList(string list)
    {
        var shards = new List<AbsorbedShard>();
        foreach (var item in list.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = item.Split('@');
            if (parts.Length == 3 && long.TryParse(parts[2], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var at))
            {
                shards.Add(new AbsorbedShard(parts[0], parts[1], at));
            }
        }

        return shards;
    }
}
