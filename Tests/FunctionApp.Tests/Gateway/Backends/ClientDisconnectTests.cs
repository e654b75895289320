using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Gateway.Backends.Tests;

/// <summary>
/// When the client goes away, every backend call it caused is cancelled: merged and sequential endpoints included,
/// so slow backends see their request aborted instead of working for nobody.
/// </summary>
public sealed class ClientDisconnectTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>A backend that never answers and reports when its request starts and when it is aborted.</summary>
    private sealed class HangingBackend : IAsyncDisposable
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private CapturingBackend? _backend;

        public Task Started => _started.Task;

        public Task Aborted => _aborted.Task;

        public string BaseUrl => _backend!.BaseUrl;

        public static async Task<HangingBackend> StartAsync(string? answerFirst = null)
        {
            var hanging = new HangingBackend();
            hanging._backend = await CapturingBackend.StartAsync(async (HttpContext context) =>
            {
                if (answerFirst is not null && context.Request.Path == "/first")
                {
                    await CapturingBackend.RespondJsonAsync(context, answerFirst);
                    return;
                }

                hanging._started.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    hanging._aborted.TrySetResult();
                }
            });
            return hanging;
        }

        public ValueTask DisposeAsync() => _backend!.DisposeAsync();
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task ClientDisconnect_MergedEndpoint_CancelsEveryBackendCall(int backendCount)
    {
        var backends = new List<HangingBackend>();
        try
        {
            for (var i = 0; i < backendCount; i++)
            {
                backends.Add(await HangingBackend.StartAsync());
            }

            var list = string.Join(',', backends.Select((b, i) => $$$"""{"host":["{{{b.BaseUrl}}}"],"url_pattern":"/slow{{{i}}}","group":"g{{{i}}}"}"""));
            await using var gateway = await TestGateway.StartAsync(Krakend.Config($$"""{"endpoint":"/merged","timeout":"30s","backend":[{{list}}]}"""));
            using var cancel = new CancellationTokenSource();

            var call = gateway.Client.GetAsync("/merged", cancel.Token);
            await Task.WhenAll(backends.Select(b => b.Started)).WaitAsync(Wait);
            await cancel.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
            await Task.WhenAll(backends.Select(b => b.Aborted)).WaitAsync(Wait);
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ClientDisconnect_SequentialEndpoint_CancelsTheCallInFlight()
    {
        await using var first = await HangingBackend.StartAsync(answerFirst: """{"id":7}""");
        await using var second = await HangingBackend.StartAsync();
        var endpoint = $$"""
            {"endpoint":"/chain","timeout":"30s","extra_config":{"proxy":{"sequential":true} },"backend":[
              {"host":["{{first.BaseUrl}}"],"url_pattern":"/first"},
              {"host":["{{second.BaseUrl}}"],"url_pattern":"/second/{resp0_id}"}]}
            """;
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(endpoint));
        using var cancel = new CancellationTokenSource();

        var call = gateway.Client.GetAsync("/chain", cancel.Token);
        await second.Started.WaitAsync(Wait);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await second.Aborted.WaitAsync(Wait);
    }

    [Fact]
    public async Task ClientDisconnect_ConcurrentCalls_CancelsEveryCopy()
    {
        var started = 0;
        var aborted = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allAborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await CapturingBackend.StartAsync(async (HttpContext context) =>
        {
            if (Interlocked.Increment(ref started) == 3)
            {
                allStarted.TrySetResult();
            }

            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                if (Interlocked.Increment(ref aborted) == 3)
                {
                    allAborted.TrySetResult();
                }
            }
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/copies", backend.BaseUrl, "/copies", "\"timeout\":\"30s\",\"concurrent_calls\":3,"));
        using var cancel = new CancellationTokenSource();

        var call = gateway.Client.GetAsync("/copies", cancel.Token);
        await allStarted.Task.WaitAsync(Wait);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await allAborted.Task.WaitAsync(Wait);
    }
}
