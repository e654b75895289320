using System.Text.Json.Nodes;
using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Gateway.Proxy.Tests;

/// <summary>
/// <c>concurrent_calls</c> end to end: N identical calls per backend, the first complete answer wins and the rest
/// are cancelled; only when every call fails does the backend fail.
/// </summary>
public sealed class ConcurrentCallsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static Task<TestGateway> StartAsync(Upstream upstream, string endpointExtras = "", string service = "") =>
        TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/cc", "\"concurrent_calls\":3," + endpointExtras, E2E.Backend(upstream, "/cc")), service));

    [Fact]
    public async Task ConcurrentCalls_FirstTwoSlow_TheFastThirdWinsQuickly()
    {
        var cancelled = 0;
        await using var upstream = await Upstream.StartAsync(async (call, context) =>
        {
            if (call <= 2)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelled);
                    return;
                }
            }

            await CapturingBackend.RespondJsonAsync(context, $$"""{"call":{{call}}}""");
        });
        await using var gateway = await StartAsync(upstream, "\"timeout\":\"10s\",");

        var reply = await E2E.GetAsync(gateway, "/cc");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"call":3}""", reply.Body);
        Assert.Equal("true", reply.Completed);
        Assert.True(reply.Elapsed < TimeSpan.FromSeconds(5), $"took {reply.Elapsed}");
        Assert.Equal(3, upstream.Calls);
        var deadline = DateTime.UtcNow + Wait;
        while (Volatile.Read(ref cancelled) < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(2, Volatile.Read(ref cancelled));
    }

    [Fact]
    public async Task ConcurrentCalls_FirstFails_ALaterSuccessWins()
    {
        await using var upstream = await Upstream.StartAsync(async (call, context) =>
        {
            if (call == 1)
            {
                await CapturingBackend.RespondJsonAsync(context, """{"error":true}""", 500);
                return;
            }

            await Task.Delay(50);
            await CapturingBackend.RespondJsonAsync(context, """{"ok":true}""");
        });
        await using var gateway = await StartAsync(upstream);

        var reply = await E2E.GetAsync(gateway, "/cc");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"ok":true}""", reply.Body);
        Assert.Equal("true", reply.Completed);
    }

    [Theory]
    [InlineData("500", 3)]
    [InlineData("invalid", 3)]
    [InlineData("[1]", 3)]
    [InlineData("closed", 0)]
    public async Task ConcurrentCalls_AllFail_500(string spec, int calls)
    {
        await using var upstream = await Upstream.StartAsync(spec);
        await using var gateway = await StartAsync(upstream);

        var reply = await E2E.GetAsync(gateway, "/cc");

        Assert.Equal(500, reply.Status);
        Assert.Equal(string.Empty, reply.Body);
        Assert.Equal("false", reply.Completed);
        Assert.Equal(calls, upstream.Calls);
    }

    [Fact]
    public async Task ConcurrentCalls_AllSlow_500AtTheDeadline()
    {
        await using var upstream = await Upstream.StartAsync("slow");
        await using var gateway = await StartAsync(upstream, "\"timeout\":\"500ms\",", Krakend.Router("\"return_error_msg\":true"));

        var reply = await E2E.GetAsync(gateway, "/cc");

        Assert.Equal(500, reply.Status);
        Assert.Equal("context deadline exceeded", reply.Body);
        Assert.True(reply.Elapsed < TimeSpan.FromSeconds(5), $"took {reply.Elapsed}");
    }

    [Fact]
    public async Task ConcurrentCalls_WithReturnErrorDetails_AnIncompleteAnswerDoesNotWinOverACompleteOne()
    {
        // return_error_details turns a failure into data that is marked incomplete: KrakenD keeps waiting for a
        // complete answer.
        await using var upstream = await Upstream.StartAsync(async (call, context) =>
        {
            if (call == 1)
            {
                await CapturingBackend.RespondJsonAsync(context, """{"error":true}""", 503);
                return;
            }

            await Task.Delay(100);
            await CapturingBackend.RespondJsonAsync(context, """{"ok":true}""");
        });
        var config = Krakend.Config(E2E.Endpoint("/cc", "\"concurrent_calls\":3,", E2E.Backend(upstream, "/cc", "\"extra_config\":{\"backend/http\":{\"return_error_details\":\"b\"}},")));
        await using var gateway = await TestGateway.StartAsync(config);

        var reply = await E2E.GetAsync(gateway, "/cc");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"ok":true}""", reply.Body);
        Assert.Equal("true", reply.Completed);
    }

    [Fact]
    public async Task ConcurrentCalls_InAMerge_EachBackendRacesItsOwnCalls()
    {
        static Func<int, HttpContext, Task> FastOnThirdCall(string key) => async (call, context) =>
        {
            if (call <= 2)
            {
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            await CapturingBackend.RespondJsonAsync(context, new JsonObject { [key] = call }.ToJsonString());
        };

        await using var first = await Upstream.StartAsync(FastOnThirdCall("a"));
        await using var second = await Upstream.StartAsync(FastOnThirdCall("b"));
        var backends = E2E.Backend(first, "/a") + "," + E2E.Backend(second, "/b");
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/cc", "\"concurrent_calls\":3,\"timeout\":\"10s\",", backends)));

        var reply = await E2E.GetAsync(gateway, "/cc");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"a":3,"b":3}""", reply.Body);
        Assert.Equal("true", reply.Completed);
        Assert.True(reply.Elapsed < TimeSpan.FromSeconds(5), $"took {reply.Elapsed}");
    }
}
