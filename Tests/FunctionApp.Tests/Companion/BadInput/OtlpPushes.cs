using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using RpcStatus = FunctionApp.Tests.Common.Otlp.Rpc.Status;

namespace FunctionApp.Tests.Companion.BadInput;

/// <summary>OTLP pushes built with the generated protobuf types, sent over HTTP, and the companion's answers read back.</summary>
internal static partial class OtlpPushes
{
    public const string Protobuf = "application/x-protobuf";

    /// <summary>A nanosecond timestamp: second <paramref name="second"/> after a fixed epoch.</summary>
    public static ulong T(int second) => 1_700_000_000_000_000_000UL + ((ulong)second * 1_000_000_000UL);

    public static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    public static ExportMetricsServiceRequest Request(string instanceId, params Metric[] metrics) => new()
    {
        ResourceMetrics =
        {
            new ResourceMetrics
            {
                Resource = new Resource { Attributes = { Attribute("service.name", "bad-input"), Attribute("service.instance.id", instanceId) } },
                ScopeMetrics = { new ScopeMetrics { Scope = new InstrumentationScope { Name = "bad-input-test" }, Metrics = { metrics } } },
            },
        },
    };

    /// <summary>A cumulative monotonic sum (a Prometheus counter named <c>&lt;name&gt;_total</c>).</summary>
    public static Metric Counter(string name, params NumberDataPoint[] points)
    {
        var sum = new Sum { IsMonotonic = true, AggregationTemporality = AggregationTemporality.Cumulative };
        sum.DataPoints.AddRange(points);
        return new Metric { Name = name, Sum = sum };
    }

    public static NumberDataPoint Point(double value, int second, params KeyValue[] attributes)
    {
        var point = new NumberDataPoint { StartTimeUnixNano = T(0), TimeUnixNano = T(second), AsDouble = value };
        point.Attributes.AddRange(attributes);
        return point;
    }

    public static ByteArrayContent Body(byte[] bytes, string? contentType = Protobuf, string? contentEncoding = null)
    {
        var content = new ByteArrayContent(bytes);
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (contentEncoding is not null)
        {
            content.Headers.ContentEncoding.Add(contentEncoding);
        }

        return content;
    }

    public static ByteArrayContent Body(IMessage request) => Body(request.ToByteArray());

    public static byte[] Gzip(byte[] data, CompressionLevel level = CompressionLevel.Fastest)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, level, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>
    /// About <paramref name="megabytes"/> MiB of zeros as gzip: one member of 1 MiB of zeros (about 1 KiB compressed)
    /// repeated, since concatenated members are one valid gzip stream. A gigabyte costs a megabyte and no CPU.
    /// </summary>
    public static byte[] GzipBomb(int megabytes)
    {
        var member = Gzip(new byte[1024 * 1024], CompressionLevel.SmallestSize);
        var bomb = new byte[member.Length * megabytes];
        for (var i = 0; i < megabytes; i++)
        {
            member.CopyTo(bomb, i * member.Length);
        }

        return bomb;
    }

    /// <summary>A 4xx/5xx answer's <c>google.rpc.Status</c> (protobuf body).</summary>
    public static async Task<RpcStatus> StatusAsync(HttpResponseMessage response)
    {
        Assert.Equal(Protobuf, response.Content.Headers.ContentType?.MediaType);
        return RpcStatus.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>A 200 answer's <c>ExportMetricsServiceResponse</c> (empty: full success).</summary>
    public static async Task<ExportMetricsServiceResponse> ExportResponseAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Protobuf, response.Content.Headers.ContentType?.MediaType);
        return ExportMetricsServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>The value of the sample line <c>name{labels} value</c> (or <c>name value</c>) of an exposition, or null.</summary>
    public static double? Sample(string exposition, string nameAndLabels)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.Length > nameAndLabels.Length && line.StartsWith(nameAndLabels, StringComparison.Ordinal) && line[nameAndLabels.Length] == ' ')
            {
                return double.Parse(line[(nameAndLabels.Length + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>The <c>aggregator_points_rejected_total</c> of one reason.</summary>
    public static double Rejected(string exposition, string reason) =>
        Sample(exposition, $"aggregator_points_rejected_total{{reason=\"{reason}\"}}") ?? throw new InvalidOperationException("no rejected counter for " + reason);

    /// <summary>The label values of <paramref name="label"/> over the sample lines of <paramref name="family"/>.</summary>
    public static List<string> LabelValues(string exposition, string family, string label)
    {
        var values = new List<string>();
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith(family + "{", StringComparison.Ordinal))
            {
                foreach (Match match in LabelPattern().Matches(line[family.Length..line.LastIndexOf('}')]))
                {
                    if (match.Groups["name"].Value == label)
                    {
                        values.Add(match.Groups["value"].Value);
                    }
                }
            }
        }

        return values;
    }

    [GeneratedRegex(@"(?<name>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPattern();
}
