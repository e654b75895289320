using System.Net;
using System.Text;
using FunctionApp.Companion;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using OpenTelemetry.Proto.Metrics.V1;
using Telemetry.Aggregation;
using static FunctionApp.Tests.Companion.BadInput.OtlpPushes;
using OtlpTestMessages = FunctionApp.Tests.Telemetry.Aggregation.Otlp.OtlpTestMessages;

namespace FunctionApp.Tests.Companion.BadInput;

/// <summary>
/// Bad pushes against a real companion (<see cref="CompanionHost"/> on a loopback port): each gets a clear status and a
/// message saying what is wrong, changes nothing in the aggregate, and the companion keeps serving <c>/metrics</c>.
/// The gzip bomb and the million label values, where memory matters, are in <see cref="CompanionBadInputProcessTests"/>.
/// </summary>
public sealed class CompanionBadInputTests
{
    /// <summary>A companion with one counter pushed: <c>good_total{...} 5</c>, the value bad pushes must not change.</summary>
    private sealed class Companion : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Companion(WebApplication app)
        {
            _app = app;
            Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        }

        public HttpClient Client { get; }

        public static async Task<Companion> StartAsync(CompanionOptions? options = null)
        {
            var app = CompanionHost.Build(options ?? new CompanionOptions { ReadEnvironment = false }, new IPEndPoint(IPAddress.Loopback, 0), answersHostProbe: false);
            await app.StartAsync();
            var companion = new Companion(app);
            using var seeded = await companion.Client.PostAsync("/v1/metrics", Body(Request("seed", Counter("good", Point(5, 1)))));
            Assert.Empty((await ExportResponseAsync(seeded)).ToByteArray());
            return companion;
        }

        public Task<HttpResponseMessage> PostAsync(HttpContent content) => Client.PostAsync("/v1/metrics", content);

        /// <summary>Scrapes, checks the aggregate still holds the seeded counter, and returns the exposition.</summary>
        public async Task<string> ScrapeUnchangedAsync()
        {
            using var response = await Client.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var exposition = await response.Content.ReadAsStringAsync();
            Assert.Equal(5, Sample(exposition, "good_total{otel_scope_name=\"bad-input-test\",otel_scope_version=\"\"}"));
            Assert.Equal(1, Sample(exposition, "aggregator_points_accepted_total"));
            return exposition;
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task TruncatedProtobuf_AtEveryBreakingPoint_Is400WithStatusNamingTheByte()
    {
        await using var companion = await Companion.StartAsync();
        var whole = OtlpTestMessages.Sample().ToByteArray();
        var refused = 0;

        // Every prefix Google.Protobuf itself refuses (a cut inside a field, not between two) must be a 400 here too.
        for (var length = 1; length < whole.Length; length += 7)
        {
            var prefix = whole[..length];
            if (Parses(prefix))
            {
                continue;
            }

            using var response = await companion.PostAsync(Body(prefix));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"prefix of {length} bytes: {(int)response.StatusCode}");
            var status = await StatusAsync(response);
            Assert.Equal(3, status.Code); // INVALID_ARGUMENT
            Assert.StartsWith("invalid OTLP protobuf at byte ", status.Message, StringComparison.Ordinal);
            refused++;
        }

        Assert.True(refused > 10, $"only {refused} prefixes were refused");
        await companion.ScrapeUnchangedAsync();
    }

    [Fact]
    public async Task TruncatedProtobufInValidGzip_Is400FromTheDecoder()
    {
        await using var companion = await Companion.StartAsync();
        var whole = Request("truncated", Counter("never", Point(1, 1, Attribute("k", "v")))).ToByteArray();

        using var response = await companion.PostAsync(Body(Gzip(whole[..^3]), contentEncoding: "gzip"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("invalid OTLP protobuf at byte ", (await StatusAsync(response)).Message, StringComparison.Ordinal);
        Assert.DoesNotContain("never_total", await companion.ScrapeUnchangedAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TruncatedJson_Is400WithAJsonStatus()
    {
        await using var companion = await Companion.StartAsync();
        const string json = """{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.instance.id","value":{"stringValue":"j"}}]},"scopeMetrics":[{"metrics":[{"name":"never","sum":{"isMonotonic":true,"aggregationTemporality":2,"dataPoints":[{"asInt":"1","timeUnixNano":"1"}]}}]}]}]}""";

        using var response = await companion.PostAsync(Body(Encoding.UTF8.GetBytes(json[..^10]), "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var status = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(3, status.GetProperty("code").GetInt32());
        Assert.StartsWith("invalid OTLP/JSON", status.GetProperty("message").GetString(), StringComparison.Ordinal);
        await companion.ScrapeUnchangedAsync();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("application/grpc")]
    [InlineData("application/protobuf")]
    [InlineData("application/x-protobuf-extra")]
    [InlineData("application/jsonl")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task WrongContentType_Is415NamingTheAcceptedTypes_AndTheBodyIsNotApplied(string? contentType)
    {
        await using var companion = await Companion.StartAsync();

        using var response = await companion.PostAsync(Body(Request("wrong-type", Counter("never", Point(1, 1))).ToByteArray(), contentType));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var message = await response.Content.ReadAsStringAsync();
        Assert.Contains("use application/x-protobuf or application/json", message, StringComparison.Ordinal);
        Assert.DoesNotContain("never_total", await companion.ScrapeUnchangedAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("br")]
    [InlineData("deflate")]
    [InlineData("zstd")]
    public async Task UnsupportedContentEncoding_Is415NamingIt(string contentEncoding)
    {
        await using var companion = await Companion.StartAsync();

        using var response = await companion.PostAsync(Body(Request("encoded", Counter("never", Point(1, 1))).ToByteArray(), contentEncoding: contentEncoding));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains($"Content-Encoding \"{contentEncoding}\" is not supported", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await companion.ScrapeUnchangedAsync();
    }

    [Fact]
    public async Task ContentTypeWithParameters_IsAccepted()
    {
        await using var companion = await Companion.StartAsync();

        using var response = await companion.PostAsync(Body(Request("params", Counter("other", Point(2, 1))).ToByteArray(), "Application/X-Protobuf; charset=binary"));

        Assert.Empty((await ExportResponseAsync(response)).ToByteArray());
    }

    [Fact]
    public async Task GzipBodyInflatingToExactlyTheCap_IsAccepted_AndOneByteMoreIs413()
    {
        var request = Request("at-cap", Counter("at_cap", [.. Enumerable.Range(0, 50).Select(i => Point(i, 1, Attribute("i", $"{i:D4}")))])).ToByteArray();
        await using var companion = await Companion.StartAsync(new CompanionOptions { ReadEnvironment = false, MaxBodyBytes = request.Length });

        using var atCap = await companion.PostAsync(Body(Gzip(request), contentEncoding: "gzip"));
        using var overCap = await companion.PostAsync(Body(Gzip([.. request, 0]), contentEncoding: "gzip"));

        Assert.Empty((await ExportResponseAsync(atCap)).ToByteArray());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, overCap.StatusCode);
        Assert.Equal($"the request body is larger than {request.Length} bytes", (await StatusAsync(overCap)).Message);
        var exposition = await companion.Client.GetStringAsync("/metrics");
        Assert.Equal(50, exposition.Split('\n').Count(static l => l.StartsWith("at_cap_total{", StringComparison.Ordinal)));
    }

    public static TheoryData<string, byte[]> InvalidGzipBodies() => new()
    {
        { "not gzip at all", Request("g", Counter("never", Point(1, 1))).ToByteArray() },
        { "a gzip header and a bad deflate block", [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] },
        { "a gzip header with an unknown compression method", [0x1F, 0x8B, 0x07, 0, 0, 0, 0, 0, 0, 0xFF, 0x03, 0x00] },
        { "valid gzip with a wrong CRC", WithCorruptTrailer(Gzip(Request("g", Counter("never", Point(1, 1))).ToByteArray())) },
    };

    [Theory]
    [MemberData(nameof(InvalidGzipBodies))]
    public async Task InvalidGzip_Is400SayingTheGzipIsInvalid(string because, byte[] body)
    {
        await using var companion = await Companion.StartAsync();

        using var response = await companion.PostAsync(Body(body, contentEncoding: "gzip"));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{because}: {(int)response.StatusCode}");
        Assert.StartsWith("the gzip body is invalid", (await StatusAsync(response)).Message, StringComparison.Ordinal);
        Assert.DoesNotContain("never_total", await companion.ScrapeUnchangedAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HugeLabelValues_AreTruncatedToTheCap_CountedInSelfMetrics_AndTheCountsStay()
    {
        await using var companion = await Companion.StartAsync();
        var cap = new AggregatorOptions().MaxLabelValueLength;
        var huge = new string('x', 1_000_000);

        // A one-megabyte value, and one whose cut falls inside a surrogate pair (never split: the label stays UTF-8).
        var emoji = new string('y', cap - 1) + "\U0001F600" + "tail";
        using var response = await companion.PostAsync(Body(Request("huge", Counter("huge_labels", Point(7, 1, Attribute("big", huge), Attribute("emoji", emoji), Attribute("small", "ok"))))));

        Assert.Empty((await ExportResponseAsync(response)).ToByteArray()); // truncation is not a rejection
        var exposition = await companion.Client.GetStringAsync("/metrics");
        // Shortened to the cap plus a hash of the whole value, so distinct long values stay distinct series.
        var big = Assert.Single(LabelValues(exposition, "huge_labels_total", "big"));
        var shortened = Assert.Single(LabelValues(exposition, "huge_labels_total", "emoji"));
        Assert.Matches("^" + new string('x', cap) + "~[0-9a-f]{8}$", big);
        Assert.Matches("^" + new string('y', cap - 1) + "~[0-9a-f]{8}$", shortened);
        Assert.Equal(["ok"], LabelValues(exposition, "huge_labels_total", "small"));
        var series = $"huge_labels_total{{big=\"{big}\",emoji=\"{shortened}\",otel_scope_name=\"bad-input-test\",otel_scope_version=\"\",small=\"ok\"}}";
        Assert.Equal(7, Sample(exposition, series));
        Assert.Equal(2, Sample(exposition, "aggregator_label_values_truncated_total"));
        Assert.True(exposition.Length < 64 * 1024, $"the exposition is {exposition.Length} characters");

        // The same series pushed again later: accepted as the same series (cumulative: the newest value wins).
        using var again = await companion.PostAsync(Body(Request("huge", Counter("huge_labels", Point(9, 2, Attribute("big", huge), Attribute("emoji", emoji), Attribute("small", "ok"))))));
        Assert.Empty((await ExportResponseAsync(again)).ToByteArray());
        var after = await companion.Client.GetStringAsync("/metrics");
        Assert.Single(LabelValues(after, "huge_labels_total", "big"));
        Assert.Equal(4, Sample(after, "aggregator_label_values_truncated_total"));
        Assert.Equal(9, Sample(after, series));
    }

    [Fact]
    public async Task TooManyAttributes_RejectedThroughPartialSuccess_AndCounted()
    {
        await using var companion = await Companion.StartAsync();
        var max = new AggregatorOptions().MaxLabelsPerSeries;
        var tooMany = Enumerable.Range(0, max + 1).Select(i => Attribute($"attr{i}", "v")).ToArray();
        var justEnough = tooMany[..max];

        using var response = await companion.PostAsync(Body(Request("wide", Counter("wide", Point(1, 1, tooMany), Point(2, 1, justEnough)))));

        var partial = (await ExportResponseAsync(response)).PartialSuccess;
        Assert.Equal(1, partial.RejectedDataPoints);
        Assert.Equal("1 data point(s) rejected: 1 with too many attributes", partial.ErrorMessage);
        var exposition = await companion.Client.GetStringAsync("/metrics");
        Assert.Equal(1, Rejected(exposition, "too_many_labels"));
        Assert.Single(exposition.Split('\n'), static l => l.StartsWith("wide_total{", StringComparison.Ordinal) && l.EndsWith(" 2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnsupportedPointsAndMissingInstanceId_RejectedThroughPartialSuccessWithReasons()
    {
        await using var companion = await Companion.StartAsync();
        var request = Request("kinds",
            new Metric { Name = "exponential", ExponentialHistogram = new ExponentialHistogram { AggregationTemporality = AggregationTemporality.Cumulative, DataPoints = { new ExponentialHistogramDataPoint { TimeUnixNano = T(1), Count = 0 } } } },
            Counter("negative", Point(-1, 1)));
        var anonymous = Request("x", Counter("anonymous", Point(1, 1)));
        anonymous.ResourceMetrics[0].Resource.Attributes.RemoveAt(1);
        request.ResourceMetrics.Add(anonymous.ResourceMetrics[0]);

        using var response = await companion.PostAsync(Body(request));

        var partial = (await ExportResponseAsync(response)).PartialSuccess;
        Assert.Equal(3, partial.RejectedDataPoints);
        foreach (var reason in new[] { "without the service.instance.id resource attribute", "exponential histogram", "invalid" })
        {
            Assert.Contains(reason, partial.ErrorMessage, StringComparison.Ordinal);
        }

        var exposition = await companion.ScrapeUnchangedAsync();
        foreach (var reason in new[] { "missing_instance_id", "exponential_histogram", "invalid_point" })
        {
            Assert.Equal(1, Rejected(exposition, reason));
        }
    }

    private static bool Parses(byte[] body)
    {
        try
        {
            OpenTelemetry.Proto.Collector.Metrics.V1.ExportMetricsServiceRequest.Parser.ParseFrom(body);
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }

    private static byte[] WithCorruptTrailer(byte[] gzip)
    {
        var copy = (byte[])gzip.Clone();
        copy[^8] ^= 0xFF; // CRC32 of the member
        return copy;
    }
}
