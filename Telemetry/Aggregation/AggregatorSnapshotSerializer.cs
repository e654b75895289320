using System.Text;
using Telemetry.Prometheus;

namespace Telemetry.Aggregation;

/// <summary>
/// The snapshot's binary format (no reflection, AOT-safe). Layout, all integers 7-bit encoded (ulong as their
/// two's-complement long), doubles as 8 little-endian bytes, strings through a table so repeated label names and
/// values cost one index each:
/// <code>
/// "AGGS" version
/// strings:    count, (UTF-8 length-prefixed string)*
/// instances:  count, (id, lastSeenUnixMs, lastPointNano, resumedAfterNano, labels)*       sorted by id
/// tombstones: count, (id, retiredAtUnixMs, lastPointNano)*                                 sorted by id
/// metrics:    count, (name, type, help, unit, series count, series*)                       sorted by name
///   series:   labels, bounds, hasBase, [base value], entry count, entry*                   sorted by key
///   entry:    instance index, flags (1 = delta), foldedThroughStart, current run, previous count, run*
///   run:      start, time, value
///   value:    double, count, buckets
/// labels = count, (name, value)*; bounds/buckets = count + 1 (0 = none), items
/// </code>
/// A reader rejects other versions: bump <see cref="Version"/> on any layout change and keep reading the old ones.
/// </summary>
internal static class AggregatorSnapshotSerializer
{
    public const int Version = 1;

    private static ReadOnlySpan<byte> Magic => "AGGS"u8;

    public static byte[] Serialize(AggregationState state)
    {
        var strings = new Dictionary<string, int>(StringComparer.Ordinal);
        var table = new List<string>();
        using var body = new MemoryStream();
        using (var writer = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            void WriteString(string value)
            {
                if (!strings.TryGetValue(value, out var index))
                {
                    index = table.Count;
                    strings.Add(value, index);
                    table.Add(value);
                }

                writer.Write7BitEncodedInt(index);
            }

            void WriteLabels(MetricLabel[] labels)
            {
                writer.Write7BitEncodedInt(labels.Length);
                foreach (var label in labels)
                {
                    WriteString(label.Name);
                    WriteString(label.Value);
                }
            }

            var instances = state.Instances.Values.OrderBy(static i => i.Id, StringComparer.Ordinal).ToList();
            var instanceIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            writer.Write7BitEncodedInt(instances.Count);
            foreach (var instance in instances)
            {
                instanceIndex.Add(instance.Id, instanceIndex.Count);
                WriteString(instance.Id);
                writer.Write7BitEncodedInt64(instance.LastSeenUnixMs);
                WriteUInt64(writer, instance.LastPointNano);
                WriteUInt64(writer, instance.ResumedAfterNano);
                WriteLabels(instance.TargetLabels);
            }

            var tombstones = state.Tombstones.Values.OrderBy(static t => t.Id, StringComparer.Ordinal).ToList();
            writer.Write7BitEncodedInt(tombstones.Count);
            foreach (var tombstone in tombstones)
            {
                WriteString(tombstone.Id);
                writer.Write7BitEncodedInt64(tombstone.RetiredAtUnixMs);
                WriteUInt64(writer, tombstone.LastPointNano);
            }

            var metrics = state.Metrics.Values.OrderBy(static m => m.Name, StringComparer.Ordinal).ToList();
            writer.Write7BitEncodedInt(metrics.Count);
            foreach (var metric in metrics)
            {
                WriteString(metric.Name);
                writer.Write((byte)metric.Type);
                WriteString(metric.Help);
                WriteString(metric.Unit);
                writer.Write7BitEncodedInt(metric.Series.Count);
                foreach (var series in metric.Series.Values.OrderBy(static s => s.Key, StringComparer.Ordinal))
                {
                    WriteLabels(series.Labels);
                    WriteDoubles(writer, series.Bounds);
                    writer.Write(series.HasBase);
                    if (series.HasBase)
                    {
                        WriteValue(writer, series.BaseValue, series.BaseCount, series.BaseBuckets);
                    }

                    writer.Write7BitEncodedInt(series.Entries.Count);
                    foreach (var entry in series.Entries)
                    {
                        writer.Write7BitEncodedInt(instanceIndex[entry.Instance.Id]);
                        writer.Write((byte)(entry.IsDelta ? 1 : 0));
                        WriteUInt64(writer, entry.FoldedThroughStart);
                        WriteRun(writer, entry.Current);
                        writer.Write7BitEncodedInt(entry.Previous?.Count ?? 0);
                        foreach (var run in entry.Previous ?? [])
                        {
                            WriteRun(writer, run);
                        }
                    }
                }
            }
        }

        using var output = new MemoryStream((int)body.Length + 64);
        using (var writer = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write7BitEncodedInt(Version);
            writer.Write7BitEncodedInt(table.Count);
            foreach (var value in table)
            {
                writer.Write(value);
            }
        }

        body.Position = 0;
        body.CopyTo(output);
        return output.ToArray();
    }

    public static AggregationState Deserialize(ReadOnlySpan<byte> data)
    {
        try
        {
            return Read(data.ToArray());
        }
        catch (Exception exception) when (exception is EndOfStreamException or IOException or ArgumentException or OverflowException or FormatException or DecoderFallbackException)
        {
            throw new InvalidDataException("The aggregator snapshot is truncated or corrupt.", exception);
        }
    }

    private static AggregationState Read(byte[] data)
    {
        if (data.Length < Magic.Length || !data.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new InvalidDataException("Not an aggregator snapshot (bad magic).");
        }

        using var stream = new MemoryStream(data, Magic.Length, data.Length - Magic.Length, writable: false);
        using var reader = new BinaryReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true));
        var version = reader.Read7BitEncodedInt();
        if (version != Version)
        {
            throw new InvalidDataException($"Unsupported aggregator snapshot version {version} (this build reads {Version}).");
        }

        var table = new string[Count(reader)];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = reader.ReadString();
        }

        string ReadString() => table[Index(reader, table.Length)];

        MetricLabel[] ReadLabels()
        {
            var labels = new MetricLabel[Count(reader)];
            for (var i = 0; i < labels.Length; i++)
            {
                labels[i] = new(ReadString(), ReadString());
            }

            return labels;
        }

        var state = new AggregationState();
        var instances = new InstanceState[Count(reader)];
        for (var i = 0; i < instances.Length; i++)
        {
            var instance = new InstanceState(ReadString())
            {
                LastSeenUnixMs = reader.Read7BitEncodedInt64(),
                LastPointNano = ReadUInt64(reader),
                ResumedAfterNano = ReadUInt64(reader),
                TargetLabels = ReadLabels(),
            };
            if (!state.Instances.TryAdd(instance.Id, instance))
            {
                throw new InvalidDataException($"Instance '{instance.Id}' appears twice.");
            }

            instances[i] = instance;
        }

        var tombstoneCount = Count(reader);
        for (var i = 0; i < tombstoneCount; i++)
        {
            var tombstone = new Tombstone(ReadString(), reader.Read7BitEncodedInt64(), ReadUInt64(reader));
            state.Tombstones[tombstone.Id] = tombstone;
        }

        var metricCount = Count(reader);
        for (var m = 0; m < metricCount; m++)
        {
            var name = ReadString();
            var type = (MetricFamilyType)reader.ReadByte();
            if (!Enum.IsDefined(type) || name.Length == 0)
            {
                throw new InvalidDataException($"Metric '{name}' has an invalid type or name.");
            }

            var metric = new MetricState(name, type, ReadString(), ReadString());
            if (!state.Metrics.TryAdd(name, metric))
            {
                throw new InvalidDataException($"Metric '{name}' appears twice.");
            }

            var seriesCount = Count(reader);
            for (var s = 0; s < seriesCount; s++)
            {
                var labels = ReadLabels();
                var series = new SeriesState(AggregationLabels.Key(labels), labels) { Bounds = ReadDoubles(reader) };
                if (!metric.TryAddSeries(series))
                {
                    throw new InvalidDataException($"A series of '{name}' appears twice.");
                }

                var bucketCount = type == MetricFamilyType.Histogram ? (series.Bounds?.Length ?? 0) + 1 : 0;
                if (reader.ReadBoolean())
                {
                    var value = reader.ReadDouble();
                    var count = ReadUInt64(reader);
                    series.SetBase(value, count, ReadBuckets(reader, bucketCount));
                }

                var entryCount = Count(reader);
                for (var e = 0; e < entryCount; e++)
                {
                    var instance = instances[Index(reader, instances.Length)];
                    var isDelta = (reader.ReadByte() & 1) != 0;
                    var foldedThrough = ReadUInt64(reader);
                    var entry = new SeriesEntry(instance, ReadRun(reader, bucketCount), isDelta) { FoldedThroughStart = foldedThrough };
                    var previousCount = Count(reader);
                    if (previousCount > 0)
                    {
                        entry.Previous = new List<RunRecord>(previousCount);
                        for (var r = 0; r < previousCount; r++)
                        {
                            entry.Previous.Add(ReadRun(reader, bucketCount));
                        }
                    }

                    var index = series.IndexOf(instance.Id);
                    if (index >= 0)
                    {
                        throw new InvalidDataException($"Instance '{instance.Id}' has two entries in one series of '{name}'.");
                    }

                    series.Entries.Insert(~index, entry);
                }
            }
        }

        if (stream.Position != stream.Length)
        {
            throw new InvalidDataException("Trailing bytes after the aggregator snapshot.");
        }

        state.Recount();
        return state;
    }

    private static void WriteRun(BinaryWriter writer, RunRecord run)
    {
        WriteUInt64(writer, run.Start);
        WriteUInt64(writer, run.Time);
        WriteValue(writer, run.Value, run.Count, run.Buckets);
    }

    private static RunRecord ReadRun(BinaryReader reader, int bucketCount) => new()
    {
        Start = ReadUInt64(reader),
        Time = ReadUInt64(reader),
        Value = reader.ReadDouble(),
        Count = ReadUInt64(reader),
        Buckets = ReadBuckets(reader, bucketCount),
    };

    private static void WriteValue(BinaryWriter writer, double value, ulong count, ulong[]? buckets)
    {
        writer.Write(value);
        WriteUInt64(writer, count);
        writer.Write7BitEncodedInt(buckets is null ? 0 : buckets.Length + 1);
        foreach (var bucket in buckets ?? [])
        {
            WriteUInt64(writer, bucket);
        }
    }

    /// <summary>Buckets of a histogram value: exactly one more than the series' bounds; none for counters and gauges.</summary>
    private static ulong[]? ReadBuckets(BinaryReader reader, int expected)
    {
        var length = reader.Read7BitEncodedInt() - 1;
        if (length < 0)
        {
            return null;
        }

        if (length != expected)
        {
            throw new InvalidDataException($"A value has {length} buckets where {expected} are expected.");
        }

        var buckets = new ulong[length];
        for (var i = 0; i < length; i++)
        {
            buckets[i] = ReadUInt64(reader);
        }

        return buckets;
    }

    private static void WriteDoubles(BinaryWriter writer, double[]? values)
    {
        writer.Write7BitEncodedInt(values is null ? 0 : values.Length + 1);
        foreach (var value in values ?? [])
        {
            writer.Write(value);
        }
    }

    private static double[]? ReadDoubles(BinaryReader reader)
    {
        var length = reader.Read7BitEncodedInt() - 1;
        if (length < 0)
        {
            return null;
        }

        if (length > reader.BaseStream.Length - reader.BaseStream.Position)
        {
            throw new InvalidDataException("A bounds list is longer than the snapshot.");
        }

        var values = new double[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = reader.ReadDouble();
        }

        return values;
    }

    private static void WriteUInt64(BinaryWriter writer, ulong value) => writer.Write7BitEncodedInt64(unchecked((long)value));

    private static ulong ReadUInt64(BinaryReader reader) => unchecked((ulong)reader.Read7BitEncodedInt64());

    /// <summary>A count that cannot exceed the bytes left (every item takes at least one), so corrupt data cannot allocate wildly.</summary>
    private static int Count(BinaryReader reader)
    {
        var count = reader.Read7BitEncodedInt();
        if (count < 0 || count > reader.BaseStream.Length - reader.BaseStream.Position)
        {
            throw new InvalidDataException($"Invalid item count {count}.");
        }

        return count;
    }

    private static int Index(BinaryReader reader, int length)
    {
        var index = reader.Read7BitEncodedInt();
        if (index < 0 || index >= length)
        {
            throw new InvalidDataException($"Index {index} is out of range (0..{length - 1}).");
        }

        return index;
    }
}
