using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using Telemetry.Configuration;
using Telemetry.Export.Otlp;

namespace FunctionApp.Tests.Telemetry.Export.Otlp;

/// <summary>What <see cref="OtlpExporterFactory"/> hands the SDK, checked without a network.</summary>
public sealed class OtlpExporterFactoryTests
{
    private static readonly Dictionary<string, string> NoHeaders = [];

    [Theory]
    [InlineData("http://collector:4318", "Traces", "http://collector:4318/v1/traces")]
    [InlineData("http://collector:4318", "Metrics", "http://collector:4318/v1/metrics")]
    [InlineData("http://collector:4318/otlp", "Traces", "http://collector:4318/otlp/v1/traces")]
    [InlineData("http://collector:4318/otlp/", "Metrics", "http://collector:4318/otlp/v1/metrics")]
    [InlineData("http://[::1]:4318/a/b", "Metrics", "http://[::1]:4318/a/b/v1/metrics")]
    public void CreateOptions_HttpProtobuf_EndpointIsBasePathPlusSignalPath(string endpoint, string signal, string expected)
    {
        var options = OtlpExporterFactory.CreateOptions(new(new Uri(endpoint), OtlpProtocol.HttpProtobuf, false, NoHeaders), Enum.Parse<OtlpSignal>(signal));

        Assert.Equal(OtlpExportProtocol.HttpProtobuf, options.Protocol);
        Assert.Equal(new Uri(expected), options.Endpoint);
    }

    [Theory]
    [InlineData("http://collector:4317", "Traces")]
    [InlineData("http://collector:4317", "Metrics")]
    public void CreateOptions_Grpc_EndpointIsTheBaseUrl(string endpoint, string signal)
    {
        var options = OtlpExporterFactory.CreateOptions(new(new Uri(endpoint), OtlpProtocol.Grpc, false, NoHeaders), Enum.Parse<OtlpSignal>(signal));

        Assert.Equal(OtlpExportProtocol.Grpc, options.Protocol);
        Assert.Equal(new Uri(endpoint), options.Endpoint);
    }

    [Theory]
    [InlineData(OtlpProtocol.Grpc, "https://collector:4317/")]
    [InlineData(OtlpProtocol.HttpProtobuf, "https://collector:4317/v1/traces")]
    public void CreateOptions_UseTls_SchemeIsHttps(OtlpProtocol protocol, string expected)
    {
        var options = OtlpExporterFactory.CreateOptions(new(new Uri("https://collector:4317"), protocol, true, NoHeaders), OtlpSignal.Traces);

        Assert.Equal(new Uri(expected), options.Endpoint);
    }

    [Fact]
    public void CreateOptions_ExportTimeout_BecomesTimeoutMilliseconds()
    {
        var connection = new OtlpConnection(new Uri("http://collector:4317"), OtlpProtocol.Grpc, false, NoHeaders);

        Assert.Equal(2500, OtlpExporterFactory.CreateOptions(connection, OtlpSignal.Metrics, TimeSpan.FromSeconds(2.5)).TimeoutMilliseconds);
        Assert.Equal(10_000, OtlpExporterFactory.CreateOptions(connection, OtlpSignal.Metrics).TimeoutMilliseconds);
        Assert.Throws<ArgumentOutOfRangeException>(() => OtlpExporterFactory.CreateOptions(connection, OtlpSignal.Metrics, TimeSpan.Zero));
    }

    [Fact]
    public void FormatHeaders_DecodedValues_AreReEncodedForTheSdkParser()
    {
        var headers = new Dictionary<string, string>
        {
            ["x-api-key"] = "abc",
            ["authorization"] = "Basic a=b=",
            ["x-odd"] = " 100% sure ",
        };

        Assert.Equal("x-api-key=abc,authorization=Basic a=b=,x-odd=100%25 sure", OtlpExporterFactory.FormatHeaders(headers));
    }

    [Fact]
    public void CreateOptions_HeaderValueWithComma_GoesOnTheHttpClientNotTheHeaderString()
    {
        var headers = new Dictionary<string, string> { ["x-api-key"] = "abc", ["x-list"] = "a,b" };
        var options = OtlpExporterFactory.CreateOptions(new(new Uri("http://collector:4318"), OtlpProtocol.HttpProtobuf, false, headers), OtlpSignal.Traces);

        using var client = options.HttpClientFactory();

        Assert.Equal("x-api-key=abc", options.Headers);
        Assert.Equal("a,b", Assert.Single(client.DefaultRequestHeaders.NonValidated["x-list"]));
        Assert.False(client.DefaultRequestHeaders.Contains("x-api-key"));
    }

    [Theory]
    [InlineData(MetricTemporalityPreference.Cumulative, MetricReaderTemporalityPreference.Cumulative)]
    [InlineData(MetricTemporalityPreference.Delta, MetricReaderTemporalityPreference.Delta)]
    [InlineData(MetricTemporalityPreference.LowMemory, MetricReaderTemporalityPreference.LowMemory)]
    public void CreateMetricReader_Temporality_IsTheReadersPreference(MetricTemporalityPreference preference, MetricReaderTemporalityPreference expected)
    {
        var connection = new OtlpConnection(new Uri("http://collector:4317"), OtlpProtocol.Grpc, false, NoHeaders);

        using var reader = OtlpExporterFactory.CreateMetricReader(connection, preference, TimeSpan.FromSeconds(60));

        Assert.Equal(expected, reader.TemporalityPreference);
    }

    /// <summary>
    /// The exporters report through EventSources only: a gateway's stdout is its log stream, and an exporter writing
    /// there whenever the collector is down would flood it. The OTLP exporter never touches the console; the SDK (batch
    /// processor, periodic reader) does only in its self-diagnostics, which write to stdout/stderr only when
    /// <c>OTEL_DOTNET_SELF_DIAGNOSTICS*</c> asks for it or that machinery itself fails. Guards against an SDK upgrade.
    /// </summary>
    [Theory]
    [InlineData(typeof(OtlpTraceExporter))]
    [InlineData(typeof(BatchActivityExportProcessor))]
    public void OpenTelemetryAssemblies_CallTheConsoleOnlyFromSelfDiagnostics(Type typeInAssembly)
    {
        using var stream = File.OpenRead(typeInAssembly.Assembly.Location);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var consoleMembers = metadata.MemberReferences
            .Where(handle => metadata.GetMemberReference(handle).Parent is { Kind: HandleKind.TypeReference } parent
                && metadata.GetTypeReference((TypeReferenceHandle)parent) is var type
                && metadata.GetString(type.Namespace) == "System" && metadata.GetString(type.Name) == "Console")
            .Select(handle => MetadataTokens.GetToken(handle))
            .ToHashSet();

        var callers = new HashSet<string>();
        foreach (var typeHandle in metadata.TypeDefinitions)
        {
            foreach (var methodHandle in metadata.GetTypeDefinition(typeHandle).GetMethods())
            {
                var method = metadata.GetMethodDefinition(methodHandle);
                if (method.RelativeVirtualAddress != 0 && CallsAny(pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes()!, consoleMembers))
                {
                    callers.Add(OutermostTypeName(metadata, typeHandle));
                }
            }
        }

        Assert.All(callers, caller => Assert.StartsWith("SelfDiagnostics", caller, StringComparison.Ordinal));
    }

    /// <summary>A call or callvirt (0x28, 0x6F) whose token is one of <paramref name="tokens"/>.</summary>
    private static bool CallsAny(byte[] il, HashSet<int> tokens)
    {
        for (var i = 0; i + 4 < il.Length; i++)
        {
            if ((il[i] == 0x28 || il[i] == 0x6F) && tokens.Contains(BitConverter.ToInt32(il, i + 1)))
            {
                return true;
            }
        }

        return false;
    }

    private static string OutermostTypeName(MetadataReader metadata, TypeDefinitionHandle handle)
    {
        var type = metadata.GetTypeDefinition(handle);
        while (type.IsNested)
        {
            type = metadata.GetTypeDefinition(type.GetDeclaringType());
        }

        return metadata.GetString(type.Name);
    }
}
