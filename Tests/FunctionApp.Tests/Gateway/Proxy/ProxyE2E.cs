using System.Diagnostics;
using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Gateway.Proxy.Tests;

/// <summary>
/// A backend for the end-to-end proxy tests, described by a short spec so a table row can say what it does:
/// <list type="bullet">
/// <item><c>{...}</c> or <c>[...]</c>: 200 with that JSON;</item>
/// <item><c>500</c>: 500 with a JSON body;</item>
/// <item><c>invalid</c>: 200 with a body that is not JSON;</item>
/// <item><c>closed</c>: a loopback port with nothing listening;</item>
/// <item><c>slow</c>: answers only after 30 s, or never if the call is cancelled first;</item>
/// <item><c>text:...</c>: 200 <c>text/plain</c> with the rest of the spec as the body.</item>
/// </list>
/// </summary>
public sealed class Upstream : IAsyncDisposable
{
    private readonly CapturingBackend? _backend;
    private readonly int _closedPort;
    private int _calls;

    private Upstream(CapturingBackend? backend, int closedPort)
    {
        _backend = backend;
        _closedPort = closedPort;
    }

    public string BaseUrl => _backend?.BaseUrl ?? $"http://127.0.0.1:{_closedPort}";

    /// <summary>Requests that reached the handler (read before answering).</summary>
    public int Calls => Volatile.Read(ref _calls);

    public IReadOnlyList<CapturedRequest> Requests => _backend?.Requests ?? [];

    /// <summary>Completes when a call was cancelled by the gateway while the backend was still working on it.</summary>
    public TaskCompletionSource Aborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<Upstream> StartAsync(string spec)
    {
        if (spec == "closed")
        {
            return new Upstream(null, RawHttp.ClosedPort());
        }

        Upstream? upstream = null;
        var backend = await CapturingBackend.StartAsync(async context =>
        {
            Interlocked.Increment(ref upstream!._calls);
            await upstream.RespondAsync(context, spec);
        });
        upstream = new Upstream(backend, 0);
        return upstream;
    }

    /// <summary>A backend whose answer is chosen per call; <paramref name="respond"/> gets the 1-based call number.</summary>
    public static async Task<Upstream> StartAsync(Func<int, HttpContext, Task> respond)
    {
        Upstream? upstream = null;
        var backend = await CapturingBackend.StartAsync(context => respond(Interlocked.Increment(ref upstream!._calls), context));
        upstream = new Upstream(backend, 0);
        return upstream;
    }

    private async Task RespondAsync(HttpContext context, string spec)
    {
        switch (spec)
        {
            case "500":
                await CapturingBackend.RespondJsonAsync(context, """{"error":"boom"}""", 500);
                break;
            case "invalid":
                await CapturingBackend.RespondJsonAsync(context, "this is not json");
                break;
            case "slow":
                await WaitOrAbortAsync(context, TimeSpan.FromSeconds(30));
                break;
            default:
                if (spec.StartsWith("text:", StringComparison.Ordinal))
                {
                    context.Response.ContentType = "text/plain";
                    await context.Response.WriteAsync(spec["text:".Length..], context.RequestAborted);
                }
                else
                {
                    await CapturingBackend.RespondJsonAsync(context, spec);
                }

                break;
        }
    }

    /// <summary>Holds the call for <paramref name="delay"/>, recording in <see cref="Aborted"/> a cancellation by the gateway.</summary>
    public async Task WaitOrAbortAsync(HttpContext context, TimeSpan delay, string json = """{"late":true}""")
    {
        try
        {
            await Task.Delay(delay, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            Aborted.TrySetResult();
            return;
        }

        await CapturingBackend.RespondJsonAsync(context, json);
    }

    /// <summary>Waits until at least <paramref name="count"/> calls arrived (for calls the gateway does not wait for).</summary>
    public async Task WaitForCallsAsync(int count)
    {
        var deadline = Stopwatch.StartNew();
        while (Calls < count)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), $"expected {count} calls, got {Calls}");
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }
}

/// <summary>Starts several <see cref="Upstream"/>s from their specs and disposes them together.</summary>
public sealed class Upstreams : IAsyncDisposable
{
    private readonly Upstream[] _all;

    private Upstreams(Upstream[] all)
    {
        _all = all;
    }

    public Upstream this[int index] => _all[index];

    public int Count => _all.Length;

    public static async Task<Upstreams> StartAsync(params string[] specs)
    {
        var all = new Upstream[specs.Length];
        for (var i = 0; i < specs.Length; i++)
        {
            all[i] = await Upstream.StartAsync(specs[i]);
        }

        return new Upstreams(all);
    }

    /// <summary>One backend object per upstream, <c>/b{i}</c> as url_pattern, with the given extra members.</summary>
    public string Backends(string extras = "") =>
        string.Join(',', _all.Select((u, i) => E2E.Backend(u, $"/b{i}", extras)));

    public async ValueTask DisposeAsync()
    {
        foreach (var upstream in _all)
        {
            await upstream.DisposeAsync();
        }
    }
}

/// <summary>What the client got from the gateway, with the headers these tests look at.</summary>
public sealed record GatewayReply(int Status, string Body, string? ContentType, string? Completed, string? CacheControl, TimeSpan Elapsed);

/// <summary>krakend.json builders and a client call for the end-to-end proxy tests.</summary>
public static class E2E
{
    /// <summary>A backend object; <paramref name="extras"/> are extra members, each ending with a comma.</summary>
    public static string Backend(Upstream upstream, string urlPattern, string extras = "") =>
        $$"""{{{extras}}"host":["{{upstream.BaseUrl}}"],"url_pattern":"{{urlPattern}}"}""";

    /// <summary>An endpoint object; <paramref name="extras"/> are extra members, each ending with a comma.</summary>
    public static string Endpoint(string path, string extras, string backends) =>
        $$"""{"endpoint":"{{path}}",{{extras}}"backend":[{{backends}}]}""";

    /// <summary>An endpoint-level <c>extra_config.proxy</c> member with the given proxy options.</summary>
    public static string ProxyOptions(string options) => "\"extra_config\":{\"proxy\":{" + options + "}},";

    public static async Task<GatewayReply> SendAsync(TestGateway gateway, HttpRequestMessage request)
    {
        var clock = Stopwatch.StartNew();
        using var response = await gateway.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        clock.Stop();
        return new GatewayReply(
            (int)response.StatusCode,
            body,
            response.Content.Headers.ContentType?.ToString(),
            response.Headers.TryGetValues("X-Krakend-Completed", out var completed) ? string.Join(",", completed) : null,
            response.Headers.CacheControl?.ToString(),
            clock.Elapsed);
    }

    public static async Task<GatewayReply> GetAsync(TestGateway gateway, string path, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        return await SendAsync(gateway, request);
    }
}
