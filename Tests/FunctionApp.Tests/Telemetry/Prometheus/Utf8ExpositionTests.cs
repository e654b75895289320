using System.Buffers;
using System.Globalization;
using System.Text;
using Telemetry.Prometheus;
using static FunctionApp.Tests.Telemetry.Aggregation.AggregationTestData;

namespace FunctionApp.Tests.Telemetry.Prometheus;

/// <summary>
/// The UTF-8 writer (<see cref="PrometheusTextWriter.Write(IEnumerable{MetricFamily}, IBufferWriter{byte}, bool)"/>)
/// against the writer it replaced (<see cref="LegacyTextWriter"/>), byte for byte, on awkward inputs and random
/// families; <see cref="GoFloat.FormatUtf8"/> against <see cref="GoFloat.Format"/>; and <see cref="ExpositionBuffer"/>.
/// </summary>
public sealed class Utf8ExpositionTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Write_AwkwardFamilies_MatchesTheLegacyWriterByteForByte(bool openMetrics)
    {
        var families = AwkwardFamilies();

        AssertSameAsLegacy(families, openMetrics);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(4, false)]
    [InlineData(5, true)]
    public void Write_RandomFamilies_MatchesTheLegacyWriterByteForByte(int seed, bool openMetrics)
    {
        var random = new Random(seed);
        var families = Enumerable.Range(0, 12).Select(i => RandomFamily(random, i)).ToList();

        AssertSameAsLegacy(families, openMetrics);
    }

    [Fact]
    public void Write_AggregatorFamilies_MatchesTheLegacyWriterAfterSeriesComeAndGo()
    {
        var clock = Clock();
        var aggregator = Aggregator(clock);
        for (var i = 0; i < 30; i++)
        {
            var route = $"/r{(i * 7) % 13}/\"q\"\\{i % 3}";
            aggregator.Ingest(Request(
                $"instance-{i % 4}",
                Counter("requests", Point(T(0), T(i + 1), i, Route(route, i % 2 == 0 ? "200" : "500"))),
                Histogram("latency", HistogramPoint(T(0), T(i + 1), TimeBuckets, [0.02 * i, 0.3], Route(route)))));

            // Render between pushes: the cached exposition order must follow every new series.
            AssertSameAsLegacy(aggregator.Collect(), openMetrics: i % 2 == 1);
        }

        clock.Advance(TimeSpan.FromHours(1));
        aggregator.Ingest(Request("late", Counter("requests", Point(T(0), T(100), 1, Route("/new")))));
        aggregator.FoldRetiredInstances(clock.GetUtcNow(), TimeSpan.FromMinutes(30));
        AssertSameAsLegacy(aggregator.Collect(), openMetrics: false);
    }

    [Fact]
    public void RenderUtf8_IsTheUtf8OfRender()
    {
        var families = AwkwardFamilies();

        Assert.Equal(Encoding.UTF8.GetBytes(PrometheusTextWriter.Render(families)), PrometheusTextWriter.RenderUtf8(families));
    }

    [Fact]
    public void FormatUtf8_ManyDoubles_MatchesFormat()
    {
        var random = new Random(42);
        var values = new List<double>
        {
            0.0, -0.0, 1, -1, 999_999, 1_000_000, -999_999.0, 123_456.5, 1e21, 1e-5, 1e-4, 0.0001234, 5e-324,
            double.MaxValue, double.MinValue, double.Epsilon, double.NaN, double.PositiveInfinity, double.NegativeInfinity,
            0.1 + 0.2, 1.0 / 3, 2.5e-7, 123456789012345678, 4503599627370496.5, 9007199254740993,
        };
        for (var i = 0; i < 20_000; i++)
        {
            values.Add(BitConverter.Int64BitsToDouble(random.NextInt64()));
            values.Add(Math.Round(random.NextDouble() * Math.Pow(10, random.Next(-8, 12)), random.Next(0, 8)));
            values.Add(random.Next(-2_000_000, 2_000_000));
        }

        Span<byte> buffer = stackalloc byte[GoFloat.MaxUtf8Length];
        foreach (var value in values)
        {
            var written = GoFloat.FormatUtf8(value, buffer);
            Assert.Equal(GoFloat.Format(value), Encoding.ASCII.GetString(buffer[..written]));
        }
    }

    [Fact]
    public async Task ExpositionBuffer_ManySegmentsAndResets_HoldsExactlyWhatWasWritten()
    {
        using var buffer = new ExpositionBuffer();
        for (var round = 0; round < 3; round++)
        {
            buffer.Reset();
            var expected = new MemoryStream();
            var random = new Random(round);
            for (var i = 0; i < 400; i++)
            {
                // Small writes, and a few bigger than a segment.
                var size = i % 97 == 0 ? 200_000 : random.Next(1, 3000);
                var span = buffer.GetSpan(size);
                Assert.True(span.Length >= size);
                for (var j = 0; j < size; j++)
                {
                    span[j] = (byte)(i + j);
                }

                expected.Write(span[..size]);
                buffer.Advance(size);
            }

            Assert.Equal(expected.Length, buffer.Length);
            Assert.Equal(expected.ToArray(), buffer.ToArray());
            var copied = new MemoryStream();
            await buffer.CopyToAsync(copied, CancellationToken.None);
            Assert.Equal(expected.ToArray(), copied.ToArray());
        }
    }

    private static void AssertSameAsLegacy(IReadOnlyList<MetricFamily> families, bool openMetrics)
    {
        var expected = Encoding.UTF8.GetBytes(LegacyTextWriter.Render(families, openMetrics));
        var writer = new ArrayBufferWriter<byte>(16);
        PrometheusTextWriter.Write(families, writer, openMetrics);
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(writer.WrittenSpan));
        Assert.Equal(expected, writer.WrittenSpan.ToArray());
        Assert.Equal(expected, Encoding.UTF8.GetBytes(openMetrics ? PrometheusTextWriter.RenderOpenMetrics(families) : PrometheusTextWriter.Render(families)));
    }

    private static List<MetricFamily> AwkwardFamilies()
    {
        var counter = new MetricFamily("requests_total", MetricFamilyType.Counter, "Requests \"served\"\nwith \\ backslash, é and 😀.");
        counter.Series.Add(MetricSeries.Sample([new("route", "/a\"b\\c\nd"), new("code", "200")], 3));
        counter.Series.Add(MetricSeries.Sample([new("code", "200"), new("route", "/a")], 1e21));
        counter.Series.Add(MetricSeries.Sample([new("route", "/a"), new("code", "200")], 7)); // a repeat: the first one stays
        counter.Series.Add(MetricSeries.Sample([new("route", "lone \ud800 surrogate and \udc00 low"), new("code", "500")], -0.0));
        counter.Series.Add(MetricSeries.Sample([new("route", "ünïcödé ✓ " + new string('x', 5000) + "😀")], 0.1 + 0.2));
        counter.Series.Add(MetricSeries.Sample([new("route", new string('y', 4095) + "😀 a pair across the writer's 4,096-character step")], 2));
        counter.Series.Add(MetricSeries.Sample([], double.NaN));

        var gauge = new MetricFamily("temperature", MetricFamilyType.Gauge);
        gauge.Series.Add(MetricSeries.Sample([], double.PositiveInfinity));
        gauge.Series.Add(MetricSeries.Sample([new("room", "b")], double.NegativeInfinity));
        gauge.Series.Add(MetricSeries.Sample([new("room", "a")], -123_456.789));

        // Same name again: merged (same type) or dropped (other type).
        var more = new MetricFamily("temperature", MetricFamilyType.Gauge, "ignored help");
        more.Series.Add(MetricSeries.Sample([new("room", "0")], 5e-324));
        var conflicting = new MetricFamily("temperature", MetricFamilyType.Counter);
        conflicting.Series.Add(MetricSeries.Sample([new("room", "z")], 1));

        var histogram = new MetricFamily("latency_seconds", MetricFamilyType.Histogram, "Latency.");
        histogram.Series.Add(MetricSeries.Histogram([new("route", "/x")], [new(0.005, 1), new(0.01, 2), new(1_000_000, 3)], 0.5, 4));
        histogram.Series.Add(MetricSeries.Histogram([], [new(1, 1), new(double.PositiveInfinity, 9)], 12.25, 9));
        histogram.Series.Add(MetricSeries.Histogram([new("route", "/y"), new("a", "1")], [], 0, 0));
        histogram.Series.Add(MetricSeries.Histogram([new("route", "/z")], [.. Enumerable.Range(0, 80).Select(i => new HistogramBucket(i * 0.125, (ulong)i))], 1e-7, 80));

        var empty = new MetricFamily("nothing", MetricFamilyType.Counter, "no series");
        return [gauge, counter, more, conflicting, histogram, empty];
    }

    private static MetricFamily RandomFamily(Random random, int index)
    {
        var type = (MetricFamilyType)random.Next(3);
        var family = new MetricFamily($"family_{random.Next(6)}_{index % 4}", type, random.Next(3) == 0 ? "" : $"Help {index} with \\ and \" and\nnewline");
        string[] names = ["a", "b", "code", "le_x", "route", "z"];
        string[] values = ["", "1", "10", "2", "/x", "/x\"y", "a\\b", "é", "\n", "😀"];
        for (var s = random.Next(0, 30); s > 0; s--)
        {
            var labels = names.Where(_ => random.Next(3) == 0).Select(n => new MetricLabel(n, values[random.Next(values.Length)])).OrderBy(_ => random.Next()).ToList();
            var value = random.Next(5) switch
            {
                0 => random.Next(0, 100),
                1 => random.NextDouble() * 1e7,
                2 => -random.NextDouble(),
                3 => double.Parse("1e" + random.Next(-12, 25).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
                _ => 0.0,
            };
            if (type != MetricFamilyType.Histogram)
            {
                family.Series.Add(MetricSeries.Sample(labels, value));
                continue;
            }

            var bounds = new[] { 0.005, 0.01, 0.025, 0.1, 1, 2.5, 10, 1e6, 1.5e7 }.Where(_ => random.Next(4) != 0).ToList();
            ulong running = 0;
            var buckets = bounds.Select(b => new HistogramBucket(b, running += (ulong)random.Next(0, 5))).ToList();
            family.Series.Add(MetricSeries.Histogram(labels, buckets, value, running + (ulong)random.Next(0, 3)));
        }

        return family;
    }
}
