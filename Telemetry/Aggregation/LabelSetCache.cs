using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Telemetry.Aggregation.Otlp;
using Telemetry.Prometheus;

namespace Telemetry.Aggregation;

/// <summary>What a point's attribute set turns into: its sorted labels and series key, or a rejection.</summary>
/// <param name="labels">The labels (attribute labels plus the scope labels, sorted by name); null when the point has too many labels.</param>
/// <param name="key">The series key of <paramref name="labels"/> (<see cref="AggregationLabels.Key"/>); null with them.</param>
/// <param name="truncated">How many label values were truncated to build them (counted again on every hit).</param>
/// <param name="source">The key they were built from, owning its attributes: what a lookup by identity verifies.</param>
internal sealed class PreparedLabels(MetricLabel[]? labels, string? key, int truncated, LabelSetKey source)
{
    public MetricLabel[]? Labels { get; } = labels;

    public string? Key { get; } = key;

    public int Truncated { get; } = truncated;

    public LabelSetKey Source { get; } = source;
}

/// <summary>
/// A bounded, thread-safe memo of <see cref="AggregationLabels.Build"/> (plus <see cref="AggregationLabels.Key"/>)
/// keyed by everything they read: the raw attribute set (keys and values in their order), the scope name and version,
/// and whether the metric is a histogram. A push repeats the same attribute sets push after push, so a known one skips
/// naming, sorting and key building. Keys own a copy of the attributes, so a caller that reuses or changes its list
/// can never make an entry answer for a set it was not built from. When it holds <see cref="Capacity"/> entries it
/// starts over empty (a hostile stream of new sets costs recomputation, never memory). Used for
/// <c>target_info</c> labels too, with the stable resource attributes as the set.
/// </summary>
internal sealed class LabelSetCache
{
    private readonly ConcurrentDictionary<LabelSetKey, PreparedLabels> _entries = new(LabelSetKey.Comparer.Instance);
    private readonly Lock _clearLock = new();
    private int _count;

    public LabelSetCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count => _entries.Count;

    /// <summary>How many times the cache was full and started over.</summary>
    public int Resets { get; private set; }

    public bool TryGet(in LabelSetKey key, [MaybeNullWhen(false)] out PreparedLabels prepared) => _entries.TryGetValue(key, out prepared);

    /// <summary>Remembers <paramref name="prepared"/> under its <see cref="PreparedLabels.Source"/> (a detached key).</summary>
    public void Add(PreparedLabels prepared)
    {
        if (Interlocked.Increment(ref _count) > Capacity)
        {
            lock (_clearLock)
            {
                if (Volatile.Read(ref _count) > Capacity)
                {
                    _entries.Clear();
                    Volatile.Write(ref _count, 1);
                    Resets++;
                }
            }
        }

        if (!_entries.TryAdd(prepared.Source, prepared))
        {
            Interlocked.Decrement(ref _count);
        }
    }
}

/// <summary>
/// An attribute set with its scope and kind, hashed once. A key made for a lookup borrows the caller's list;
/// <see cref="Detach"/> makes the one a cache keeps (its own array, never changed).
/// </summary>
internal readonly struct LabelSetKey
{
    private readonly IReadOnlyList<OtlpAttribute> _attributes;
    private readonly string _scopeName;
    private readonly string _scopeVersion;
    private readonly bool _histogram;
    private readonly int _hash;

    private LabelSetKey(IReadOnlyList<OtlpAttribute> attributes, string scopeName, string scopeVersion, bool histogram, int hash)
    {
        _attributes = attributes;
        _scopeName = scopeName;
        _scopeVersion = scopeVersion;
        _histogram = histogram;
        _hash = hash;
    }

    public static LabelSetKey For(IReadOnlyList<OtlpAttribute> attributes, string scopeName, string scopeVersion, bool histogram)
    {
        var hash = new HashCode();
        hash.Add(scopeName);
        hash.Add(scopeVersion);
        hash.Add(histogram);
        if (attributes is OtlpAttribute[] array)
        {
            foreach (var attribute in array)
            {
                hash.Add(attribute.Key);
                hash.Add(attribute.Value);
            }
        }
        else
        {
            for (var i = 0; i < attributes.Count; i++)
            {
                hash.Add(attributes[i].Key);
                hash.Add(attributes[i].Value);
            }
        }

        return new(attributes, scopeName, scopeVersion, histogram, hash.ToHashCode());
    }

    /// <summary>The same key over a private copy of the attributes.</summary>
    public LabelSetKey Detach() => new([.. _attributes], _scopeName, _scopeVersion, _histogram, _hash);

    private bool Matches(in LabelSetKey other) => _hash == other._hash && Matches(other._attributes, other._scopeName, other._scopeVersion, other._histogram);

    /// <summary>Whether this key is for exactly this attribute set (keys and values in order), scope and kind.</summary>
    public bool Matches(IReadOnlyList<OtlpAttribute> attributes, string scopeName, string scopeVersion, bool histogram)
    {
        if (_histogram != histogram || _attributes.Count != attributes.Count
            || !string.Equals(_scopeName, scopeName, StringComparison.Ordinal) || !string.Equals(_scopeVersion, scopeVersion, StringComparison.Ordinal))
        {
            return false;
        }

        for (var i = 0; i < attributes.Count; i++)
        {
            var a = _attributes[i];
            var b = attributes[i];
            if (!string.Equals(a.Key, b.Key, StringComparison.Ordinal) || !string.Equals(a.Value, b.Value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    internal sealed class Comparer : IEqualityComparer<LabelSetKey>
    {
        public static readonly Comparer Instance = new();

        public bool Equals(LabelSetKey x, LabelSetKey y) => x.Matches(y);

        public int GetHashCode(LabelSetKey obj) => obj._hash;
    }
}
