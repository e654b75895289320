using Telemetry.Prometheus;

namespace FunctionApp.Tests.Telemetry.Prometheus;

public class PrometheusTextWriterTests
{
    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(1.0, "1")]
    [InlineData(-1.0, "-1")]
    [InlineData(0.01, "0.01")]
    [InlineData(0.075, "0.075")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(0.000015, "1.5e-05")]
    [InlineData(3.5, "3.5")]
    [InlineData(128.0, "128")]
    [InlineData(524288.0, "524288")]
    [InlineData(999999.0, "999999")]
    [InlineData(1000000.0, "1e+06")]
    [InlineData(1048576.0, "1.048576e+06")]
    [InlineData(67108864.0, "6.7108864e+07")]
    [InlineData(1234567.5, "1.2345675e+06")]
    [InlineData(123456.7, "123456.7")]
    [InlineData(1.8446744073709552e19, "1.8446744073709552e+19")]
    [InlineData(1e100, "1e+100")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    [InlineData(-0.5, "-0.5")]
    [InlineData(-2500000.0, "-2.5e+06")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    public void FormatValue_Double_PrintsAsGoClient(double value, string expected)
    {
        Assert.Equal(expected, PrometheusTextWriter.FormatValue(value));
    }

    [Fact]
    public void FormatValue_NegativeZero_PrintsZero()
    {
        Assert.Equal("0", PrometheusTextWriter.FormatValue(-0.0));
    }

    [Fact]
    public void Render_CounterAndGauge_WritesHelpTypeAndSamples()
    {
        var counter = new MetricFamily("requests_total", MetricFamilyType.Counter, "Requests.");
        counter.Series.Add(MetricSeries.Sample([new("code", "200"), new("method", "GET")], 3));
        var gauge = new MetricFamily("temperature", MetricFamilyType.Gauge);
        gauge.Series.Add(MetricSeries.Sample([], 21.5));

        var text = PrometheusTextWriter.Render([gauge, counter]);

        Assert.Equal(
            "# HELP requests_total Requests.\n" +
            "# TYPE requests_total counter\n" +
            "requests_total{code=\"200\",method=\"GET\"} 3\n" +
            "# HELP temperature \n" +
            "# TYPE temperature gauge\n" +
            "temperature 21.5\n",
            text);
    }

    [Fact]
    public void Render_Histogram_WritesCumulativeBucketsInfSumCount()
    {
        var family = new MetricFamily("latency_seconds", MetricFamilyType.Histogram, "Latency.", "s");
        family.Series.Add(MetricSeries.Histogram([new("route", "/a")], [new(0.1, 1), new(1, 3), new(1048576, 3)], 2.25, 5));

        var text = PrometheusTextWriter.Render([family]);

        Assert.Equal(
            "# HELP latency_seconds Latency.\n" +
            "# TYPE latency_seconds histogram\n" +
            "latency_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n" +
            "latency_seconds_bucket{route=\"/a\",le=\"1\"} 3\n" +
            "latency_seconds_bucket{route=\"/a\",le=\"1.048576e+06\"} 3\n" +
            "latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 5\n" +
            "latency_seconds_sum{route=\"/a\"} 2.25\n" +
            "latency_seconds_count{route=\"/a\"} 5\n",
            text);
    }

    [Fact]
    public void Render_HistogramWithoutLabelsOrBuckets_WritesInfOnly()
    {
        var family = new MetricFamily("h", MetricFamilyType.Histogram);
        family.Series.Add(MetricSeries.Histogram([], [], 0, 0));

        var text = PrometheusTextWriter.Render([family]);

        Assert.Equal("# HELP h \n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n", text);
    }

    [Fact]
    public void Render_LargeCounts_UseGoExponentForm()
    {
        var family = new MetricFamily("h", MetricFamilyType.Histogram);
        family.Series.Add(MetricSeries.Histogram([], [new(1, 1234567)], 12345678.5, 2000000));

        var text = PrometheusTextWriter.Render([family]);

        Assert.Contains("h_bucket{le=\"1\"} 1.234567e+06\n", text, StringComparison.Ordinal);
        Assert.Contains("h_bucket{le=\"+Inf\"} 2e+06\n", text, StringComparison.Ordinal);
        Assert.Contains("h_sum 1.23456785e+07\n", text, StringComparison.Ordinal);
        Assert.Contains("h_count 2e+06\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_SpecialCharacters_EscapesLabelValuesAndHelp()
    {
        var family = new MetricFamily("m", MetricFamilyType.Gauge, "a \\ b\nc \"q\"");
        family.Series.Add(MetricSeries.Sample([new("path", "C:\\dir\n\"x\"")], double.NaN));

        var text = PrometheusTextWriter.Render([family]);

        Assert.Equal(
            "# HELP m a \\\\ b\\nc \"q\"\n" +
            "# TYPE m gauge\n" +
            "m{path=\"C:\\\\dir\\n\\\"x\\\"\"} NaN\n",
            text);
    }

    [Fact]
    public void Render_UnsortedInput_SortsFamiliesByNameLabelsByNameSeriesByValues()
    {
        var b = new MetricFamily("b", MetricFamilyType.Gauge);
        b.Series.Add(MetricSeries.Sample([new("z", "1"), new("a", "y")], 1));
        b.Series.Add(MetricSeries.Sample([new("a", "x"), new("z", "2")], 2));
        b.Series.Add(MetricSeries.Sample([new("a", "x"), new("z", "1")], 3));
        b.Series.Add(MetricSeries.Sample([], 4));
        var a = new MetricFamily("a", MetricFamilyType.Gauge);
        a.Series.Add(MetricSeries.Sample([], 5));

        var text = PrometheusTextWriter.Render([b, a]);

        Assert.Equal(
            "# HELP a \n# TYPE a gauge\na 5\n" +
            "# HELP b \n# TYPE b gauge\n" +
            "b 4\n" +
            "b{a=\"x\",z=\"1\"} 3\n" +
            "b{a=\"x\",z=\"2\"} 2\n" +
            "b{a=\"y\",z=\"1\"} 1\n",
            text);
    }

    [Fact]
    public void Render_SameNameTwice_MergesSameTypeAndDropsOtherType()
    {
        var first = new MetricFamily("x", MetricFamilyType.Counter, "first");
        first.Series.Add(MetricSeries.Sample([new("k", "1")], 1));
        first.Series.Add(MetricSeries.Sample([new("k", "3")], 3));
        var second = new MetricFamily("x", MetricFamilyType.Counter, "second");
        second.Series.Add(MetricSeries.Sample([new("k", "2")], 2));
        second.Series.Add(MetricSeries.Sample([new("k", "1")], 99));
        var conflicting = new MetricFamily("x", MetricFamilyType.Gauge, "third");
        conflicting.Series.Add(MetricSeries.Sample([new("k", "4")], 4));

        var text = PrometheusTextWriter.Render([first, second, conflicting]);

        Assert.Equal(
            "# HELP x first\n# TYPE x counter\nx{k=\"1\"} 1\nx{k=\"2\"} 2\nx{k=\"3\"} 3\n",
            text);
    }

    [Fact]
    public void Render_FamilyWithoutSeries_IsLeftOut()
    {
        var empty = new MetricFamily("empty", MetricFamilyType.Counter, "nothing yet");

        Assert.Equal("", PrometheusTextWriter.Render([empty]));
    }

    [Fact]
    public void ContentType_IsTextFormat004()
    {
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", PrometheusTextWriter.ContentType);
    }
}
