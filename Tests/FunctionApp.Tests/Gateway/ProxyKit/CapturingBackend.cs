using System.Collections.Concurrent;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FunctionApp.Gateway.ProxyKit.Tests;

/// <summary>One request as a backend received it: the raw request target, the decoded path, every header and the body.</summary>
public sealed record CapturedRequest(
    string Method,
    string RawTarget,
    string Path,
    string QueryString,
    IReadOnlyDictionary<string, string[]> Headers,
    byte[] Body)
{
    /// <summary>The header's values joined with ", ", or null when the backend did not receive it.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var values) ? string.Join(", ", values) : null;

    public bool HasHeader(string name) => Headers.ContainsKey(name);

    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A real Kestrel backend (<see cref="TestBackend"/>) that captures every request before answering it with a
/// handler of the test's choosing (by default <c>200 {"ok":true}</c>).
/// </summary>
public sealed class CapturingBackend : IAsyncDisposable
{
    private readonly ConcurrentQueue<CapturedRequest> _requests = new();
    private TestBackend? _backend;

    public string BaseUrl => _backend!.BaseUrl;

    public int Port => _backend!.Port;

    public IReadOnlyList<CapturedRequest> Requests => [.. _requests];

    public static Task<CapturingBackend> StartAsync(string json = "{\"ok\":true}", int status = 200) =>
        StartAsync(context => RespondJsonAsync(context, json, status));

    public static async Task<CapturingBackend> StartAsync(RequestDelegate respond)
    {
        var capturing = new CapturingBackend();
        capturing._backend = await TestBackend.StartAsync(async context =>
        {
            var request = context.Request;
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, context.RequestAborted);
            var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, values) in request.Headers)
            {
                headers[name] = values.ToArray()!;
            }

            capturing._requests.Enqueue(new CapturedRequest(
                request.Method,
                context.Features.Get<IHttpRequestFeature>()!.RawTarget,
                request.Path.Value ?? string.Empty,
                request.QueryString.Value ?? string.Empty,
                headers,
                body.ToArray()));
            await respond(context);
        });
        return capturing;
    }

    public static Task RespondJsonAsync(HttpContext context, string json, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json, context.RequestAborted);
    }

    public CapturedRequest OnlyRequest() => Assert.Single(Requests);

    public async ValueTask DisposeAsync()
    {
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }
}
