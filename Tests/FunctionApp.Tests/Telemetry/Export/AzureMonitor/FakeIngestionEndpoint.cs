using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Tests.Telemetry.Export.AzureMonitor;

/// <summary>One POST the fake ingestion endpoint received.</summary>
public sealed record IngestionRequest(string Path, string? ContentEncoding, IReadOnlyList<JsonElement> Envelopes);

/// <summary>
/// A real Kestrel server on a loopback port posing as the Application Insights ingestion endpoint (Breeze): it
/// accepts <c>POST /v2.1/track</c> with newline-delimited JSON envelopes, gzip-compressed or not, records them, and
/// answers as the service does, <c>{"itemsReceived":n,"itemsAccepted":n,"errors":[]}</c>, or with
/// <see cref="StatusCode"/> when that is set to an error.
/// </summary>
public sealed class FakeIngestionEndpoint : IAsyncDisposable
{
    private readonly ConcurrentQueue<IngestionRequest> _requests = new();
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TestBackend? _server;

    private FakeIngestionEndpoint()
    {
    }

    public string InstrumentationKey { get; } = Guid.NewGuid().ToString();

    public int Port => _server!.Port;

    /// <summary>The connection string that points the exporter here (unique per endpoint, as the SDK shares transmitters by it).</summary>
    public string ConnectionString => $"InstrumentationKey={InstrumentationKey};IngestionEndpoint=http://127.0.0.1:{Port}/";

    /// <summary>The status to answer with; 200 accepts everything.</summary>
    public int StatusCode { get; set; } = StatusCodes.Status200OK;

    /// <summary>When true, requests are held unanswered until <see cref="ReleaseHeldRequests"/> or dispose.</summary>
    public bool HoldRequests { get; set; }

    public IReadOnlyCollection<IngestionRequest> Requests => _requests;

    public IReadOnlyList<JsonElement> Envelopes => [.. _requests.SelectMany(r => r.Envelopes)];

    /// <summary>The envelopes whose <c>data.baseType</c> is <paramref name="baseType"/> (RequestData, MetricData, …).</summary>
    public IReadOnlyList<JsonElement> EnvelopesOf(string baseType) =>
        [.. Envelopes.Where(e => e.TryGetProperty("data", out var data) && data.GetProperty("baseType").GetString() == baseType)];

    /// <summary>
    /// The <c>baseData</c> of each MetricData envelope except the SDK's <c>_OTELRESOURCE_</c> one, which carries the
    /// resource attributes alongside every trace batch.
    /// </summary>
    public IReadOnlyList<JsonElement> Metrics =>
        [.. EnvelopesOf("MetricData")
            .Select(e => e.GetProperty("data").GetProperty("baseData"))
            .Where(d => d.GetProperty("metrics")[0].GetProperty("name").GetString() != ResourceMetricName)];

    /// <summary>The name of the metric the SDK sends the resource attributes in.</summary>
    public const string ResourceMetricName = "_OTELRESOURCE_";

    public static async Task<FakeIngestionEndpoint> StartAsync()
    {
        var endpoint = new FakeIngestionEndpoint();
        endpoint._server = await TestBackend.StartAsync(endpoint.HandleAsync);
        return endpoint;
    }

    public void ReleaseHeldRequests() => _release.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        ReleaseHeldRequests();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (HoldRequests)
        {
            await _release.Task;
        }

        var encoding = context.Request.Headers.ContentEncoding.ToString();
        using var body = new MemoryStream();
        if (string.Equals(encoding, "gzip", StringComparison.OrdinalIgnoreCase))
        {
            await using var gzip = new GZipStream(context.Request.Body, CompressionMode.Decompress);
            await gzip.CopyToAsync(body);
        }
        else
        {
            await context.Request.Body.CopyToAsync(body);
        }

        var envelopes = new List<JsonElement>();
        foreach (var line in Encoding.UTF8.GetString(body.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            using var document = JsonDocument.Parse(line);
            envelopes.Add(document.RootElement.Clone());
        }

        _requests.Enqueue(new IngestionRequest(context.Request.Path, encoding.Length == 0 ? null : encoding, envelopes));
        var status = StatusCode;
        var accepted = status == StatusCodes.Status200OK ? envelopes.Count : 0;
        var errors = string.Join(',', Enumerable.Range(0, envelopes.Count - accepted).Select(i => $"{{\"index\":{i},\"statusCode\":{status},\"message\":\"fake failure\"}}"));
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync($"{{\"itemsReceived\":{envelopes.Count},\"itemsAccepted\":{accepted},\"errors\":[{errors}]}}");
    }
}
