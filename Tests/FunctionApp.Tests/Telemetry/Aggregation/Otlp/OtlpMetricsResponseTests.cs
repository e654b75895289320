using System.Text;
using FunctionApp.Tests.Common.Otlp.Rpc;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using Telemetry.Aggregation.Otlp;

namespace FunctionApp.Tests.Telemetry.Aggregation.Otlp;

/// <summary>The response bodies, read back with the generated parsers (binary and proto3 JSON).</summary>
public sealed class OtlpMetricsResponseTests
{
    [Fact]
    public void Success_Protobuf_IsAnEmptyMessage()
    {
        var body = OtlpMetricsResponse.Success(OtlpEncoding.Protobuf);

        Assert.Equal(0, body.Length);
        Assert.Null(ExportMetricsServiceResponse.Parser.ParseFrom(body.Span).PartialSuccess);
    }

    [Fact]
    public void Success_Json_IsAnEmptyObject()
    {
        var body = OtlpMetricsResponse.Success(OtlpEncoding.Json);

        Assert.Equal("{}", Encoding.UTF8.GetString(body.Span));
        Assert.Null(JsonParser.Default.Parse<ExportMetricsServiceResponse>(Encoding.UTF8.GetString(body.Span)).PartialSuccess);
    }

    [Theory]
    [InlineData(OtlpEncoding.Protobuf)]
    [InlineData(OtlpEncoding.Json)]
    public void Encode_NothingRejectedAndNoMessage_IsSuccess(OtlpEncoding encoding)
    {
        Assert.Equal(OtlpMetricsResponse.Success(encoding).ToArray(), OtlpMetricsResponse.Encode(encoding, 0, null).ToArray());
        Assert.Equal(OtlpMetricsResponse.Success(encoding).ToArray(), OtlpMetricsResponse.Encode(encoding, 0, "").ToArray());
    }

    [Theory]
    [InlineData(3L, "3 points used an exponential histogram")]
    [InlineData(0L, "warning: label value truncated")]
    [InlineData(long.MaxValue, "ünïcode ✓ and \"quotes\"\n")]
    [InlineData(128L, "")]
    public void Encode_Protobuf_RoundTripsThroughTheGeneratedParser(long rejected, string message)
    {
        var body = OtlpMetricsResponse.Encode(OtlpEncoding.Protobuf, rejected, message);

        var parsed = ExportMetricsServiceResponse.Parser.ParseFrom(body.Span);

        Assert.NotNull(parsed.PartialSuccess);
        Assert.Equal((rejected, message), (parsed.PartialSuccess.RejectedDataPoints, parsed.PartialSuccess.ErrorMessage));
        Assert.Equal(new ExportMetricsServiceResponse { PartialSuccess = new() { RejectedDataPoints = rejected, ErrorMessage = message } }.ToByteArray(), body.ToArray());
    }

    [Theory]
    [InlineData(3L, "3 points used an exponential histogram")]
    [InlineData(0L, "warning: label value truncated")]
    [InlineData(long.MaxValue, "ünïcode ✓ and \"quotes\"\n")]
    public void Encode_Json_RoundTripsThroughTheGeneratedJsonParser(long rejected, string message)
    {
        var json = Encoding.UTF8.GetString(OtlpMetricsResponse.Encode(OtlpEncoding.Json, rejected, message).Span);

        var parsed = JsonParser.Default.Parse<ExportMetricsServiceResponse>(json);

        Assert.NotNull(parsed.PartialSuccess);
        Assert.Equal((rejected, message), (parsed.PartialSuccess.RejectedDataPoints, parsed.PartialSuccess.ErrorMessage));
    }

    [Fact]
    public void Encode_Json_WritesInt64AsADecimalString()
    {
        var json = Encoding.UTF8.GetString(OtlpMetricsResponse.Encode(OtlpEncoding.Json, 3, "three dropped").Span);

        Assert.Equal("""{"partialSuccess":{"rejectedDataPoints":"3","errorMessage":"three dropped"}}""", json);
    }

    [Fact]
    public void Encode_NegativeCount_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OtlpMetricsResponse.Encode(OtlpEncoding.Protobuf, -1, "x"));
    }

    [Theory]
    [InlineData(OtlpStatusCode.InvalidArgument, "invalid OTLP protobuf at byte 12: a varint is cut off")]
    [InlineData(OtlpStatusCode.ResourceExhausted, "the request body is larger than 67108864 bytes")]
    [InlineData(OtlpStatusCode.Unavailable, "")]
    public void EncodeStatus_BothEncodings_RoundTripThroughGoogleRpcStatus(OtlpStatusCode code, string message)
    {
        var binary = Status.Parser.ParseFrom(OtlpMetricsResponse.EncodeStatus(OtlpEncoding.Protobuf, code, message).Span);
        var json = JsonParser.Default.Parse<Status>(Encoding.UTF8.GetString(OtlpMetricsResponse.EncodeStatus(OtlpEncoding.Json, code, message).Span));

        Assert.Equal(((int)code, message), (binary.Code, binary.Message));
        Assert.Equal(((int)code, message), (json.Code, json.Message));
    }

    [Theory]
    [InlineData("application/x-protobuf", true, OtlpEncoding.Protobuf)]
    [InlineData("Application/X-Protobuf", true, OtlpEncoding.Protobuf)]
    [InlineData("application/json", true, OtlpEncoding.Json)]
    [InlineData(" application/json ; charset=utf-8", true, OtlpEncoding.Json)]
    [InlineData("application/protobuf", false, OtlpEncoding.Protobuf)]
    [InlineData("text/plain", false, OtlpEncoding.Protobuf)]
    [InlineData("", false, OtlpEncoding.Protobuf)]
    [InlineData(null, false, OtlpEncoding.Protobuf)]
    public void TryParse_ContentType_NamesTheEncoding(string? contentType, bool known, OtlpEncoding expected)
    {
        Assert.Equal(known, OtlpContentTypes.TryParse(contentType, out var encoding));
        Assert.Equal(expected, encoding);
        if (known)
        {
            Assert.Equal(contentType!.Split(';')[0].Trim(), OtlpContentTypes.Of(encoding), ignoreCase: true);
        }
    }
}
