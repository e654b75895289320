using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using FunctionApp.Tests.Common.Otlp;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Telemetry.Configuration;
using Telemetry.Export.Otlp;
using RetryInfo = FunctionApp.Tests.Common.Otlp.Rpc.RetryInfo;
using RpcStatus = FunctionApp.Tests.Common.Otlp.Rpc.Status;

namespace FunctionApp.Tests.Telemetry.Export.Otlp;

/// <summary>The receiver's fault modes, seen by the real SDK exporters and by raw requests.</summary>
public sealed class OtlpReceiverFaultTests
{
    private static readonly TimeSpan NeverDuringTheTest = TimeSpan.FromHours(1);

    private const int FlushTimeoutMilliseconds = 30_000;

    [Theory]
    [InlineData(OtlpReceiverProtocol.Grpc, OtlpReceiverFaultKind.Unavailable)]
    [InlineData(OtlpReceiverProtocol.Grpc, OtlpReceiverFaultKind.Throttled)]
    [InlineData(OtlpReceiverProtocol.HttpProtobuf, OtlpReceiverFaultKind.Unavailable)]
    [InlineData(OtlpReceiverProtocol.HttpProtobuf, OtlpReceiverFaultKind.Throttled)]
    public async Task Refusal_OnceThenHealthy_FirstFlushFailsAndOnlyTheSecondIsAccepted(OtlpReceiverProtocol protocol, OtlpReceiverFaultKind kind)
    {
        await using var receiver = await OtlpReceiver.StartAsync(protocol);
        receiver.SetFault(new OtlpReceiverFault(kind), times: 1);
        var name = UniqueName();
        using var meter = new Meter(name);
        using var metering = MeterProvider(name, OtlpExporterFactory.CreateMetricReader(Connection(receiver), MetricTemporalityPreference.Cumulative, NeverDuringTheTest));
        var counter = meter.CreateCounter<long>("requests");

        counter.Add(1);
        Assert.False(metering.ForceFlush(FlushTimeoutMilliseconds));
        Assert.Equal(kind, Assert.Single(receiver.Exports).Answer.Kind);
        Assert.Empty(receiver.MetricPoints);

        counter.Add(1);
        Assert.True(metering.ForceFlush(FlushTimeoutMilliseconds));
        Assert.Equal(2, receiver.ExportCount);
        Assert.Equal(2L, Assert.Single(receiver.MetricPoints).IntValue);
    }

    [Theory]
    [InlineData(OtlpReceiverFaultKind.Unavailable, HttpStatusCode.ServiceUnavailable)]
    [InlineData(OtlpReceiverFaultKind.Throttled, HttpStatusCode.TooManyRequests)]
    public async Task HttpRefusal_WithRetryAfter_AnswersStatusRetryAfterAndRpcStatusBody(OtlpReceiverFaultKind kind, HttpStatusCode expected)
    {
        await using var receiver = await OtlpReceiver.StartAsync(OtlpReceiverProtocol.HttpProtobuf);
        receiver.SetFault(new OtlpReceiverFault(kind, RetryAfter: TimeSpan.FromSeconds(2.5)));
        using var client = new HttpClient();
        using var body = new ByteArrayContent([]);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");

        using var response = await client.PostAsync(new Uri(receiver.Endpoint, "/v1/metrics"), body);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
        var status = RpcStatus.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.NotEmpty(status.Message);
    }

    [Theory]
    [InlineData(OtlpReceiverFaultKind.Unavailable, "14")]
    [InlineData(OtlpReceiverFaultKind.Throttled, "8")]
    public async Task GrpcRefusal_WithRetryAfter_AnswersStatusWithRetryInfoDetail(OtlpReceiverFaultKind kind, string expectedStatus)
    {
        await using var receiver = await OtlpReceiver.StartAsync(OtlpReceiverProtocol.Grpc);
        receiver.SetFault(new OtlpReceiverFault(kind, RetryAfter: TimeSpan.FromSeconds(4)));
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(receiver.Endpoint, "/opentelemetry.proto.collector.trace.v1.TraceService/Export"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(new byte[5]), // an uncompressed, empty ExportTraceServiceRequest
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.ParseAdd("trailers");

        using var response = await client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();

        // A call failing before any message is a "trailers-only" response: the status may come as headers.
        string Metadata(string key) => response.TrailingHeaders.TryGetValues(key, out var trailer) ? trailer.Single()
            : response.Headers.TryGetValues(key, out var header) ? header.Single()
            : throw new Xunit.Sdk.XunitException($"no {key} in the response");
        Assert.Equal(expectedStatus, Metadata("grpc-status"));
        var encoded = Metadata("grpc-status-details-bin");
        var details = RpcStatus.Parser.ParseFrom(Convert.FromBase64String(encoded.PadRight(encoded.Length + ((4 - (encoded.Length % 4)) % 4), '=')));
        Assert.Equal(int.Parse(expectedStatus, System.Globalization.CultureInfo.InvariantCulture), details.Code);
        Assert.Equal(TimeSpan.FromSeconds(4), Assert.Single(details.Details).Unpack<RetryInfo>().RetryDelay.ToTimeSpan());
        Assert.Equal(OtlpReceivedSignal.Traces, Assert.Single(receiver.Exports).Signal);
    }

    [Theory]
    [InlineData(OtlpReceiverProtocol.Grpc)]
    [InlineData(OtlpReceiverProtocol.HttpProtobuf)]
    public async Task Delay_LongerThanTheExportTimeout_FlushFailsAndTheDataIsNotAccepted(OtlpReceiverProtocol protocol)
    {
        await using var receiver = await OtlpReceiver.StartAsync(protocol);
        receiver.SetFault(OtlpReceiverFault.Delay(TimeSpan.FromMinutes(10)));
        var name = UniqueName();
        using var meter = new Meter(name);
        using var metering = MeterProvider(name, OtlpExporterFactory.CreateMetricReader(Connection(receiver), MetricTemporalityPreference.Cumulative, NeverDuringTheTest, exportTimeout: TimeSpan.FromSeconds(1)));
        meter.CreateCounter<long>("slow").Add(1);

        Assert.False(metering.ForceFlush(FlushTimeoutMilliseconds));

        Assert.Equal(OtlpReceiverFaultKind.Delay, Assert.Single(receiver.Exports).Answer.Kind);
        Assert.Empty(receiver.MetricPoints);
    }

    [Theory]
    [InlineData(OtlpReceiverProtocol.Grpc)]
    [InlineData(OtlpReceiverProtocol.HttpProtobuf)]
    public async Task Delay_WithinTheExportTimeout_ExportSucceeds(OtlpReceiverProtocol protocol)
    {
        await using var receiver = await OtlpReceiver.StartAsync(protocol);
        receiver.SetFault(OtlpReceiverFault.Delay(TimeSpan.FromMilliseconds(50)));
        var name = UniqueName();
        using var meter = new Meter(name);
        using var metering = MeterProvider(name, OtlpExporterFactory.CreateMetricReader(Connection(receiver), MetricTemporalityPreference.Cumulative, NeverDuringTheTest));
        meter.CreateCounter<long>("slow").Add(1);

        Assert.True(metering.ForceFlush(FlushTimeoutMilliseconds));

        Assert.Equal(1L, Assert.Single(receiver.MetricPoints).IntValue);
    }

    [Theory]
    [InlineData(OtlpReceiverProtocol.Grpc, "grpc-encoding")]
    [InlineData(OtlpReceiverProtocol.HttpProtobuf, "content-encoding")]
    public async Task GzipExports_AreDecoded(OtlpReceiverProtocol protocol, string encodingHeader)
    {
        await using var receiver = await OtlpReceiver.StartAsync(protocol);
        var options = OtlpExporterFactory.CreateOptions(Connection(receiver), OtlpSignal.Traces);
        options.Compression = OtlpExportCompression.GZip;
        var name = UniqueName();
        using var source = new ActivitySource(name);
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(name)
            .AddProcessor(new SimpleActivityExportProcessor(new OtlpTraceExporter(options)))
            .Build();

        source.StartActivity("compressed")!.Dispose();

        Assert.Equal("compressed", (await receiver.WaitForSpanAsync(s => s.ScopeName == name)).Name);
        Assert.Equal("gzip", Assert.Single(receiver.Exports).Headers[encodingHeader]);
    }

    [Theory]
    [InlineData("/v1/logs", "application/x-protobuf", HttpStatusCode.NotFound)]
    [InlineData("/v1/traces", "application/json", HttpStatusCode.UnsupportedMediaType)]
    public async Task HttpReceiver_UnsupportedRequest_IsRefusedAndNotCounted(string path, string contentType, HttpStatusCode expected)
    {
        await using var receiver = await OtlpReceiver.StartAsync(OtlpReceiverProtocol.HttpProtobuf);
        using var client = new HttpClient();
        using var body = new StringContent("{}");
        body.Headers.ContentType = new MediaTypeHeaderValue(contentType);

        using var response = await client.PostAsync(new Uri(receiver.Endpoint, path), body);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(0, receiver.ExportCount);
    }

    [Fact]
    public async Task WaitForSpan_NothingArrives_ThrowsTimeout()
    {
        await using var receiver = await OtlpReceiver.StartAsync(OtlpReceiverProtocol.HttpProtobuf);

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => receiver.WaitForSpanAsync(_ => true, TimeSpan.FromMilliseconds(100)));

        Assert.Contains("Received 0 export(s)", timeout.Message, StringComparison.Ordinal);
    }

    private static OtlpConnection Connection(OtlpReceiver receiver) => new(
        receiver.Endpoint,
        receiver.Protocol == OtlpReceiverProtocol.Grpc ? OtlpProtocol.Grpc : OtlpProtocol.HttpProtobuf,
        UseTls: false,
        new Dictionary<string, string>());

    private static MeterProvider MeterProvider(string meter, MetricReader reader) => Sdk.CreateMeterProviderBuilder()
        .AddMeter(meter)
        .AddReader(reader)
        .Build();

    private static string UniqueName([CallerMemberName] string test = "") => $"otlp-faults.{test}.{Guid.NewGuid():N}";
}
