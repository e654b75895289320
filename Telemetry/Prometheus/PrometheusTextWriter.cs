using System.Buffers;
using System.Text;

namespace Telemetry.Prometheus;

/// <summary>
/// Renders metric families in the Prometheus text exposition format 0.0.4 the way Go's client (<c>expfmt</c> behind
/// <c>promhttp</c>) does, so the output matches KrakenD byte for byte: families sorted by name, each with a
/// <c># HELP</c> and a <c># TYPE</c> line; labels sorted by name (<c>le</c> last); series sorted by their label values;
/// values in Go's float format; histograms as cumulative <c>_bucket</c> lines, <c>+Inf</c>, <c>_sum</c>, <c>_count</c>.
/// Families without series are left out. Families sharing a name are merged when their types agree (the first help
/// wins), otherwise the later one is dropped; a repeated series (same labels) is written once. No timestamps.
/// </summary>
public static class PrometheusTextWriter
{
    /// <summary>The <c>Content-Type</c> of a text format 0.0.4 response.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The <c>Content-Type</c> of an OpenMetrics 1.0.0 response.</summary>
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /// <summary>
    /// True when an <c>Accept</c> header asks for OpenMetrics (what Prometheus sends first when it can read it); text
    /// 0.0.4 otherwise, the default.
    /// </summary>
    public static bool AcceptsOpenMetrics(string? accept)
    {
        if (string.IsNullOrEmpty(accept))
        {
            return false;
        }

        foreach (var part in accept.Split(','))
        {
            var item = part.Trim();
            if (item.StartsWith("application/openmetrics-text", StringComparison.OrdinalIgnoreCase) && !item.Contains("q=0,", StringComparison.Ordinal) && !item.EndsWith("q=0", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The exposition in OpenMetrics 1.0.0: counter families are named without their <c>_total</c> suffix (their
    /// samples keep it), HELP escapes quotes too, and the output ends with <c># EOF</c>.
    /// </summary>
    public static string RenderOpenMetrics(IEnumerable<MetricFamily> families)
    {
        using var buffer = new ExpositionBuffer();
        Write(families, buffer, openMetrics: true);
        return buffer.ToString();
    }

    /// <summary>The exposition as a string.</summary>
    public static string Render(IEnumerable<MetricFamily> families)
    {
        using var buffer = new ExpositionBuffer();
        Write(families, buffer);
        return buffer.ToString();
    }

    /// <summary>The exposition as UTF-8 bytes, ready to send.</summary>
    public static byte[] RenderUtf8(IEnumerable<MetricFamily> families)
    {
        using var buffer = new ExpositionBuffer();
        Write(families, buffer);
        return buffer.ToArray();
    }

    /// <summary>Appends the exposition to <paramref name="output"/>.</summary>
    public static void Write(IEnumerable<MetricFamily> families, StringBuilder output)
    {
        ArgumentNullException.ThrowIfNull(families);
        ArgumentNullException.ThrowIfNull(output);
        using var buffer = new ExpositionBuffer();
        Write(families, buffer);
        output.Append(buffer.ToString());
    }

    /// <summary>
    /// Writes the exposition (text 0.0.4, or OpenMetrics 1.0.0 with <paramref name="openMetrics"/>) as UTF-8 into
    /// <paramref name="output"/>: the bytes of <see cref="Render"/> (or <see cref="RenderOpenMetrics"/>) encoded as UTF-8,
    /// without the text in between. Each series' label block is written once and copied onto its lines; numbers are
    /// formatted into the output (<see cref="GoFloat.FormatUtf8"/>).
    /// </summary>
    public static void Write(IEnumerable<MetricFamily> families, IBufferWriter<byte> output, bool openMetrics = false)
    {
        ArgumentNullException.ThrowIfNull(families);
        ArgumentNullException.ThrowIfNull(output);
        var writer = new Utf8Output(output);
        byte[]? scratch = null;
        try
        {
            foreach (var family in Normalize(families))
            {
                WriteFamily(family.Family, family.Series, ref writer, ref scratch, openMetrics);
            }

            if (openMetrics)
            {
                writer.Write("# EOF\n"u8);
            }
        }
        finally
        {
            writer.Flush();
            if (scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
    }

    /// <summary>
    /// The label block of labels sorted by name, as every line of the series starts it: <c>{name="value",…</c>
    /// (values escaped, UTF-8), without the closing brace so a bucket line can add <c>le</c>; empty without labels.
    /// </summary>
    internal static byte[] LabelBlock(IReadOnlyList<MetricLabel> sortedLabels)
    {
        if (sortedLabels.Count == 0)
        {
            return [];
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new Utf8Output(buffer);
        WriteLabelBlock(ref writer, sortedLabels);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Go's series order within a family (see <see cref="SeriesOrder"/>), for labels sorted by name.</summary>
    internal static int CompareSeries(IReadOnlyList<MetricLabel> a, IReadOnlyList<MetricLabel> b)
    {
        if (a.Count != b.Count)
        {
            return a.Count.CompareTo(b.Count);
        }

        for (var i = 0; i < a.Count; i++)
        {
            var byValue = string.CompareOrdinal(a[i].Value, b[i].Value);
            if (byValue != 0)
            {
                return byValue;
            }
        }

        for (var i = 0; i < a.Count; i++)
        {
            var byName = string.CompareOrdinal(a[i].Name, b[i].Name);
            if (byName != 0)
            {
                return byName;
            }
        }

        return 0;
    }

    private static List<(MetricFamily Family, List<SortedSeries> Series)> Normalize(IEnumerable<MetricFamily> families)
    {
        var byName = new Dictionary<string, (MetricFamily Family, List<SortedSeries> Series, bool Ordered)>(StringComparer.Ordinal);
        foreach (var family in families)
        {
            if (byName.TryGetValue(family.Name, out var existing))
            {
                if (existing.Family.Type == family.Type)
                {
                    foreach (var series in family.Series)
                    {
                        existing.Series.Add(new SortedSeries(series));
                    }

                    byName[family.Name] = (existing.Family, existing.Series, false);
                }

                continue;
            }

            var sorted = new List<SortedSeries>(family.Series.Count);
            foreach (var series in family.Series)
            {
                sorted.Add(new SortedSeries(series));
            }

            byName.Add(family.Name, (family, sorted, true));
        }

        var result = new List<(MetricFamily Family, List<SortedSeries> Series)>(byName.Count);
        foreach (var entry in byName.Values)
        {
            if (entry.Series.Count == 0)
            {
                continue;
            }

            if (entry.Ordered && StrictlyAscending(entry.Series))
            {
                // In order and free of repeats already (the aggregator keeps its series so): nothing to sort.
                result.Add((entry.Family, entry.Series));
                continue;
            }

            // Stable sort, so of two identical series the first one given is kept.
            var sorted = entry.Series.Order(SeriesOrder.Instance).ToList();
            var unique = new List<SortedSeries>(sorted.Count);
            foreach (var series in sorted)
            {
                if (unique.Count == 0 || SeriesOrder.Instance.Compare(unique[^1], series) != 0)
                {
                    unique.Add(series);
                }
            }

            result.Add((entry.Family, unique));
        }

        result.Sort(static (a, b) => string.CompareOrdinal(a.Family.Name, b.Family.Name));
        return result;
    }

    private static bool StrictlyAscending(List<SortedSeries> series)
    {
        for (var i = 1; i < series.Count; i++)
        {
            if (CompareSeries(series[i - 1].Labels, series[i].Labels) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    private static void WriteFamily(MetricFamily family, List<SortedSeries> series, ref Utf8Output output, ref byte[]? scratch, bool openMetrics)
    {
        var familyName = openMetrics && family.Type == MetricFamilyType.Counter && family.Name.EndsWith("_total", StringComparison.Ordinal)
            ? family.Name.AsSpan(0, family.Name.Length - "_total".Length)
            : family.Name.AsSpan();
        output.Write("# HELP "u8);
        output.WriteText(familyName);
        output.WriteByte((byte)' ');
        output.WriteEscaped(family.Help, openMetrics ? LabelSpecials : HelpSpecials);
        output.WriteByte((byte)'\n');
        output.Write("# TYPE "u8);
        output.WriteText(familyName);
        output.Write(family.Type switch
        {
            MetricFamilyType.Counter => " counter\n"u8,
            MetricFamilyType.Gauge => " gauge\n"u8,
            _ => " histogram\n"u8,
        });

        // The name, encoded once for the family.
        var name = Encoding.UTF8.GetBytes(family.Name);
        var bounds = family.Type == MetricFamilyType.Histogram ? new FormattedBounds() : null;
        foreach (var item in series)
        {
            // A block the series carries was made from these very labels (sorted already, so not copied).
            var block = item.Series.LabelBlock is { } cached && ReferenceEquals(item.Labels, item.Series.Labels)
                ? cached
                : BuildLabelBlock(item.Labels, ref scratch);
            if (bounds is null)
            {
                WriteLine(ref output, name, ""u8, block, item.Series.Value);
                continue;
            }

            var sawInfinity = false;
            var buckets = item.Series.Buckets;
            for (var i = 0; i < buckets.Count; i++)
            {
                var bucket = buckets[i];
                WriteBucket(ref output, name, block, bounds.Get(i, bucket.UpperBound), bucket.CumulativeCount);
                sawInfinity |= double.IsPositiveInfinity(bucket.UpperBound);
            }

            if (!sawInfinity)
            {
                WriteBucket(ref output, name, block, "+Inf"u8, item.Series.Count);
            }

            WriteLine(ref output, name, "_sum"u8, block, item.Series.Value);
            WriteLine(ref output, name, "_count"u8, block, item.Series.Count);
        }
    }

    /// <summary>A sample line without <c>le</c>: name, suffix, labels, value.</summary>
    private static void WriteLine(ref Utf8Output output, scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> suffix, scoped ReadOnlySpan<byte> block, double value)
    {
        var line = output.Reserve(name.Length + suffix.Length + block.Length + 3 + GoFloat.MaxUtf8Length);
        name.CopyTo(line);
        var n = name.Length;
        suffix.CopyTo(line[n..]);
        n += suffix.Length;
        if (block.Length > 0)
        {
            block.CopyTo(line[n..]);
            n += block.Length;
            line[n++] = (byte)'}';
        }

        line[n++] = (byte)' ';
        n += FormatValue(value, line[n..]);
        line[n++] = (byte)'\n';
        output.Advance(n);
    }

    /// <summary>A <c>_bucket</c> line: name, labels plus <c>le</c> (already formatted), cumulative count.</summary>
    private static void WriteBucket(ref Utf8Output output, scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> block, scoped ReadOnlySpan<byte> bound, double count)
    {
        var line = output.Reserve(name.Length + block.Length + bound.Length + 16 + GoFloat.MaxUtf8Length);
        name.CopyTo(line);
        var n = name.Length;
        "_bucket"u8.CopyTo(line[n..]);
        n += 7;
        if (block.Length > 0)
        {
            block.CopyTo(line[n..]);
            n += block.Length;
            ",le=\""u8.CopyTo(line[n..]);
        }
        else
        {
            "{le=\""u8.CopyTo(line[n..]);
        }

        n += 5;
        bound.CopyTo(line[n..]);
        n += bound.Length;
        "\"} "u8.CopyTo(line[n..]);
        n += 3;
        n += FormatValue(count, line[n..]);
        line[n++] = (byte)'\n';
        output.Advance(n);
    }

    /// <summary>A sample value or bound as Go's <c>writeFloat</c> prints it (<c>-0</c> prints as <c>0</c>), into at least <see cref="GoFloat.MaxUtf8Length"/> bytes.</summary>
    private static int FormatValue(double value, Span<byte> destination)
    {
        if (value == 0)
        {
            destination[0] = (byte)'0';
            return 1;
        }

        return GoFloat.FormatUtf8(value, destination);
    }

    /// <summary>The label block of a series without a cached one, in <paramref name="scratch"/> (valid until the next call).</summary>
    private static ReadOnlySpan<byte> BuildLabelBlock(IReadOnlyList<MetricLabel> labels, ref byte[]? scratch)
    {
        if (labels.Count == 0)
        {
            return [];
        }

        var holder = new ScratchWriter(scratch ??= ArrayPool<byte>.Shared.Rent(1024));
        var writer = new Utf8Output(holder);
        WriteLabelBlock(ref writer, labels);
        writer.Flush();
        scratch = holder.Buffer;
        return holder.Buffer.AsSpan(0, holder.Written);
    }

    private static void WriteLabelBlock(ref Utf8Output output, IReadOnlyList<MetricLabel> labels)
    {
        var separator = (byte)'{';
        for (var i = 0; i < labels.Count; i++)
        {
            var label = labels[i];
            output.WriteByte(separator);
            output.WriteText(label.Name);
            output.Write("=\""u8);
            output.WriteEscaped(label.Value, LabelSpecials);
            output.WriteByte((byte)'"');
            separator = (byte)',';
        }
    }

    /// <summary>A sample value or bound as Go's <c>writeFloat</c> prints it (<c>-0</c> prints as <c>0</c>).</summary>
    internal static string FormatValue(double value) => value == 0 ? "0" : GoFloat.Format(value);

    /// <summary>Characters escaped in label values (and OpenMetrics HELP): backslash, newline, double quote.</summary>
    private static readonly SearchValues<char> LabelSpecials = SearchValues.Create("\\\n\"");

    /// <summary>Characters escaped in text 0.0.4 HELP: backslash and newline.</summary>
    private static readonly SearchValues<char> HelpSpecials = SearchValues.Create("\\\n");

    /// <summary>
    /// UTF-8 output over an <see cref="IBufferWriter{T}"/>: a span of it is filled and committed when the next one is
    /// needed (and by <see cref="Flush"/>), so a line costs no interface call.
    /// </summary>
    private ref struct Utf8Output(IBufferWriter<byte> output)
    {
        private const int MinimumSpan = 16 * 1024;

        /// <summary>Characters transcoded per step (at most 3 bytes each), so a huge text needs no huge span.</summary>
        private const int TextChunk = 4096;

        private readonly IBufferWriter<byte> _output = output;
        private Span<byte> _span;
        private int _position;

        public void Write(scoped ReadOnlySpan<byte> bytes)
        {
            if (_span.Length - _position < bytes.Length)
            {
                Grow(bytes.Length);
            }

            bytes.CopyTo(_span[_position..]);
            _position += bytes.Length;
        }

        public void WriteByte(byte value)
        {
            if (_position == _span.Length)
            {
                Grow(1);
            }

            _span[_position++] = value;
        }

        /// <summary>At least <paramref name="size"/> bytes to fill; <see cref="Advance"/> commits what was filled.</summary>
        public Span<byte> Reserve(int size)
        {
            if (_span.Length - _position < size)
            {
                Grow(size);
            }

            return _span[_position..];
        }

        public void Advance(int count) => _position += count;

        /// <summary>Text as UTF-8 (lone surrogates become U+FFFD, as <see cref="Encoding.UTF8"/> does).</summary>
        public void WriteText(ReadOnlySpan<char> text)
        {
            while (text.Length > 0)
            {
                var chunk = text.Length <= TextChunk ? text : text[..(char.IsHighSurrogate(text[TextChunk - 1]) ? TextChunk - 1 : TextChunk)];
                var max = chunk.Length * 3;
                if (_span.Length - _position < max)
                {
                    Grow(max);
                }

                _position += Encoding.UTF8.GetBytes(chunk, _span[_position..]);
                text = text[chunk.Length..];
            }
        }

        /// <summary>Text with <c>\\</c>, newline and (when among <paramref name="specials"/>) <c>"</c> escaped.</summary>
        public void WriteEscaped(ReadOnlySpan<char> text, SearchValues<char> specials)
        {
            while (true)
            {
                var index = text.IndexOfAny(specials);
                if (index < 0)
                {
                    WriteText(text);
                    return;
                }

                WriteText(text[..index]);
                Write(text[index] switch
                {
                    '\\' => "\\\\"u8,
                    '\n' => "\\n"u8,
                    _ => "\\\""u8,
                });
                text = text[(index + 1)..];
            }
        }

        public void Flush()
        {
            if (_position > 0)
            {
                _output.Advance(_position);
            }

            _span = default;
            _position = 0;
        }

        private void Grow(int size)
        {
            Flush();
            _span = _output.GetSpan(Math.Max(size, MinimumSpan));
        }
    }

    /// <summary>
    /// The <c>le</c> texts of a histogram family, by bucket position: the series of a family mostly share their bounds,
    /// so each bound is formatted once per render instead of once per line.
    /// </summary>
    private sealed class FormattedBounds
    {
        private const int Positions = 64;

        private readonly long[] _bits = new long[Positions];
        private readonly byte[] _text = new byte[Positions * GoFloat.MaxUtf8Length];
        private readonly int[] _lengths = new int[Positions];
        private byte[]? _other;

        public ReadOnlySpan<byte> Get(int position, double bound)
        {
            var bits = BitConverter.DoubleToInt64Bits(bound);
            if (position >= Positions)
            {
                _other ??= new byte[GoFloat.MaxUtf8Length];
                return _other.AsSpan(0, FormatValue(bound, _other));
            }

            var text = _text.AsSpan(position * GoFloat.MaxUtf8Length, GoFloat.MaxUtf8Length);
            if (_lengths[position] == 0 || _bits[position] != bits)
            {
                _bits[position] = bits;
                _lengths[position] = FormatValue(bound, text);
            }

            return text[.._lengths[position]];
        }
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> over one pooled array that it replaces with a bigger one when needed.</summary>
    private sealed class ScratchWriter(byte[] buffer) : IBufferWriter<byte>
    {
        public byte[] Buffer { get; private set; } = buffer;

        public int Written { get; private set; }

        public void Advance(int count) => Written += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            if (Buffer.Length - Written < Math.Max(sizeHint, 1))
            {
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(Buffer.Length * 2, Written + sizeHint));
                Buffer.AsSpan(0, Written).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(Buffer);
                Buffer = bigger;
            }

            return Buffer.AsMemory(Written);
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }

    /// <summary>A series with its labels sorted by name (the series' own list when it is sorted already).</summary>
    private readonly struct SortedSeries(MetricSeries series)
    {
        public MetricSeries Series { get; } = series;

        public IReadOnlyList<MetricLabel> Labels { get; } = SortedByName(series.Labels);

        private static IReadOnlyList<MetricLabel> SortedByName(IReadOnlyList<MetricLabel> labels)
        {
            for (var i = 1; i < labels.Count; i++)
            {
                if (string.CompareOrdinal(labels[i - 1].Name, labels[i].Name) > 0)
                {
                    return [.. labels.OrderBy(static l => l.Name, StringComparer.Ordinal)];
                }
            }

            return labels;
        }
    }

    /// <summary>
    /// Go's <c>MetricSorter</c>: fewer labels first, then label values compared position by position (labels are
    /// sorted by name). Label names break the remaining ties so the order never depends on the input order.
    /// </summary>
    private sealed class SeriesOrder : IComparer<SortedSeries>
    {
        public static readonly SeriesOrder Instance = new();

        public int Compare(SortedSeries x, SortedSeries y) => CompareSeries(x.Labels, y.Labels);
    }
}
