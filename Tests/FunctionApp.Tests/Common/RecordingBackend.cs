using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FunctionApp.Tests.Common;

/// <summary>What a backend received: the raw request target and every header, as it arrived.</summary>
public sealed record ReceivedRequest(string Method, string RawTarget, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>A <see cref="TestBackend"/> that records every request and answers with a small JSON object.</summary>
public sealed class RecordingBackend : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private TestBackend? _backend;

    public IReadOnlyCollection<ReceivedRequest> Requests => _requests;

    public string BaseUrl => _backend!.BaseUrl;

    public static async Task<RecordingBackend> StartAsync(string responseJson = "{\"ok\":true}")
    {
        var recording = new RecordingBackend();
        recording._backend = await TestBackend.StartAsync(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
            recording._requests.Enqueue(new ReceivedRequest(context.Request.Method, rawTarget, headers, body));
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(responseJson);
        });
        return recording;
    }

    public async ValueTask DisposeAsync()
    {
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }
}
