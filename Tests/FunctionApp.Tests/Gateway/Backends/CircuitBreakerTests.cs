using System.Net;
using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Gateway.Backends.Tests;

/// <summary>
/// <c>qos/circuit-breaker</c> as KrakenD runs it (krakend-circuitbreaker over gobreaker): the circuit opens when
/// the consecutive failures within the interval exceed <c>max_errors</c>; while open, calls fail at once without
/// reaching the backend; after <c>timeout</c> seconds one probe goes through, and its success closes the circuit
/// while its failure opens it again. Requests are counted at the backend.
/// </summary>
public sealed class CircuitBreakerTests
{
    /// <summary>A backend whose status the test switches; it counts what reaches it.</summary>
    private sealed class SwitchableBackend : IAsyncDisposable
    {
        private int _status;
        private int _calls;

        private SwitchableBackend(int status) => _status = status;

        public CapturingBackend Backend { get; private set; } = null!;

        public int Calls => Volatile.Read(ref _calls);

        public int Status
        {
            set => Volatile.Write(ref _status, value);
        }

        public static async Task<SwitchableBackend> StartAsync(int status)
        {
            var switchable = new SwitchableBackend(status);
            switchable.Backend = await CapturingBackend.StartAsync(context =>
            {
                Interlocked.Increment(ref switchable._calls);
                var current = Volatile.Read(ref switchable._status);
                return CapturingBackend.RespondJsonAsync(context, current == 200 ? """{"ok":true}""" : """{"ok":false}""", current);
            });
            return switchable;
        }

        public ValueTask DisposeAsync() => Backend.DisposeAsync();
    }

    private static string Breaker(int interval, int timeout, int maxErrors, string more = "") =>
        "\"extra_config\":" + $$$"""{"qos/circuit-breaker":{"interval":{{{interval}}},"timeout":{{{timeout}}},"max_errors":{{{maxErrors}}},"log_status_change":true{{{more}}}}}""" + ",";

    private static async Task<int> StatusAsync(TestGateway gateway, string path = "/cb")
    {
        using var response = await gateway.Client.GetAsync(path);
        return (int)response.StatusCode;
    }

    /// <summary>Waits past the open period; generous, since only the lower bound matters.</summary>
    private static Task PastTimeoutAsync(int seconds) => Task.Delay(TimeSpan.FromSeconds(seconds) + TimeSpan.FromMilliseconds(300));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Breaker_ConsecutiveFailuresAboveMaxErrors_OpensAndFailsFastWithoutCallingTheBackend(int maxErrors)
    {
        await using var backend = await SwitchableBackend.StartAsync(500);
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/cb", backend.Backend.BaseUrl, "/cb", backendExtras: Breaker(60, 60, maxErrors)));

        for (var i = 0; i <= maxErrors; i++)
        {
            Assert.Equal(500, await StatusAsync(gateway));
            Assert.Equal(i + 1, backend.Calls);
        }

        // max_errors + 1 consecutive failures: open. Even a healthy backend is not asked until the timeout.
        backend.Status = 200;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(500, await StatusAsync(gateway));
        }

        Assert.Equal(maxErrors + 1, backend.Calls);
    }

    [Fact]
    public async Task Breaker_Open_WithReturnErrorMsg_SaysTheCircuitIsOpen()
    {
        await using var backend = await SwitchableBackend.StartAsync(503);
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint(
            "/cb", backend.Backend.BaseUrl, "/cb", backendExtras: Breaker(60, 60, 1), service: Krakend.Router("\"return_error_msg\":true")));

        await StatusAsync(gateway);
        await StatusAsync(gateway);
        using var response = await gateway.Client.GetAsync("/cb");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("circuit breaker is open", await response.Content.ReadAsStringAsync());
        Assert.Equal("Version 2.13.8", response.Headers.GetValues("X-Krakend").Single());
        Assert.Equal(2, backend.Calls);
    }

    [Fact]
    public async Task Breaker_SuccessBetweenFailures_ResetsTheCount()
    {
        await using var backend = await SwitchableBackend.StartAsync(500);
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/cb", backend.Backend.BaseUrl, "/cb", backendExtras: Breaker(60, 60, 2)));

        // Failures are counted in a row: F F S F F never exceeds two consecutive ones.
        Assert.Equal(500, await StatusAsync(gateway));
        Assert.Equal(500, await StatusAsync(gateway));
        backend.Status = 200;
        Assert.Equal(200, await StatusAsync(gateway));
        backend.Status = 500;
        Assert.Equal(500, await StatusAsync(gateway));
        Assert.Equal(500, await StatusAsync(gateway));
        Assert.Equal(5, backend.Calls);

        // The third failure in a row opens it.
        Assert.Equal(500, await StatusAsync(gateway));
        Assert.Equal(6, backend.Calls);
        Assert.Equal(500, await StatusAsync(gateway));
        Assert.Equal(6, backend.Calls);
    }

    [Fact]
    public async Task Breaker_AfterTimeout_SuccessfulProbeClosesTheCircuit()
    {
        await using var backend = await SwitchableBackend.StartAsync(500);
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/cb", backend.Backend.BaseUrl, "/cb", backendExtras: Breaker(60, 1, 1)));
        await StatusAsync(gateway);
        await StatusAsync(gateway);
        Assert.Equal(2, backend.Calls);

        backend.Status = 200;
        await PastTimeoutAsync(1);

        // Half-open: the probe reaches the backend, succeeds, and closes the circuit.
        Assert.Equal(200, await StatusAsync(gateway));
        Assert.Equal(3, backend.Calls);
        Assert.Equal(200, await StatusAsync(gateway));
        Assert.Equal(200, await StatusAsync(gateway));
        Assert.Equal(5, backend.Calls);

        // Closed again with a fresh count: it takes max_errors + 1 new failures to open it.
        backend.Status = 500;
        Assert.Equal(500, await StatusAsync(gateway));
        Assert.Equal(500, await StatusAsync(gateway));
        Assert.Equal(7, backend.Calls);
        Assert.Equal(500, await StatusAsync(gateway));
        Assert.Equal(7, backend.Calls);
    }

    [Fact]
    public async Task Breaker_AfterTimeout_FailedProbeOpensTheCircuitAgain()
    {
        await using var backend = await SwitchableBackend.StartAsync(500);
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/cb", backend.Backend.BaseUrl, "/cb", backendExtras: Breaker(60, 1, 2)));
        for (var i = 0; i < 3; i++)
        {
            await StatusAsync(gateway);
        }

        Assert.Equal(3, backend.Calls);
        await PastTimeoutAsync(1);

        // One failed probe is enough to open it again (no max_errors in half-open).
        Assert.Equal(500, await StatusAsync(gateway));
        Assert.Equal(4, backend.Calls);
        backend.Status = 200;
        Assert.Equal(500, await StatusAsync(gateway));
        Assert.Equal(4, backend.Calls);
    }

    [Fact]
    public async Task Breaker_Interval_ClearsTheCountOfAClosedCircuit()
    {
        await using var backend = await SwitchableBackend.StartAsync(500);
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/cb", backend.Backend.BaseUrl, "/cb", backendExtras: Breaker(1, 60, 2)));

        Assert.Equal(500, await StatusAsync(gateway));
        Assert.Equal(500, await StatusAsync(gateway));
        await PastTimeoutAsync(1);

        // A new interval starts from zero: two more failures do not open it.
        Assert.Equal(500, await StatusAsync(gateway));
        Assert.Equal(500, await StatusAsync(gateway));
        backend.Status = 200;
        Assert.Equal(200, await StatusAsync(gateway));
        Assert.Equal(5, backend.Calls);
    }

    /// <summary>backend extras besides the breaker → whether the backend's 500s count as failures.</summary>
    [Theory]
    [InlineData("", true)]
    [InlineData("\"backend/http\":{\"return_error_code\":true},", true)]
    [InlineData("\"backend/http\":{\"return_error_details\":\"svc\"},", false)]
    public async Task Breaker_WhatCountsAsAFailure_FollowsWhatTheBackendProxyReturns(string httpExtras, bool opens)
    {
        await using var backend = await SwitchableBackend.StartAsync(500);
        var extras = Breaker(60, 60, 1).Replace("\"extra_config\":{", "\"extra_config\":{" + httpExtras, StringComparison.Ordinal);
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/cb", backend.Backend.BaseUrl, "/cb", backendExtras: extras));

        for (var i = 0; i < 4; i++)
        {
            await StatusAsync(gateway);
        }

        Assert.Equal(opens ? 2 : 4, backend.Calls);
    }

    [Fact]
    public async Task Breaker_Timeouts_CountAsFailures()
    {
        var calls = 0;
        await using var backend = await CapturingBackend.StartAsync(async (HttpContext context) =>
        {
            Interlocked.Increment(ref calls);
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint(
            "/cb", backend.BaseUrl, "/cb", "\"timeout\":\"100ms\",", Breaker(60, 60, 1)));

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(500, await StatusAsync(gateway));
        }

        Assert.Equal(2, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task Breaker_IsPerBackend_AnOpenCircuitLeavesTheOtherBackendAlone()
    {
        await using var failing = await SwitchableBackend.StartAsync(500);
        await using var healthy = await SwitchableBackend.StartAsync(200);
        var endpoint = $$"""
            {"endpoint":"/merged","backend":[
              {{{Breaker(60, 60, 1)}}"host":["{{failing.Backend.BaseUrl}}"],"url_pattern":"/f","group":"f"},
              {{{Breaker(60, 60, 1)}}"host":["{{healthy.Backend.BaseUrl}}"],"url_pattern":"/h","group":"h"}]},
            {"endpoint":"/other","backend":[{{{Breaker(60, 60, 1)}}"host":["{{failing.Backend.BaseUrl}}"],"url_pattern":"/o"}]}
            """;
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(endpoint));

        for (var i = 0; i < 4; i++)
        {
            using var response = await gateway.Client.GetAsync("/merged");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("""{"h":{"ok":true}}""", await response.Content.ReadAsStringAsync());
            Assert.Equal("false", response.Headers.GetValues("X-Krakend-Completed").Single());
        }

        Assert.Equal(2, failing.Calls);
        Assert.Equal(4, healthy.Calls);

        // Another endpoint's backend on the same host has its own circuit.
        failing.Status = 200;
        Assert.Equal(200, await StatusAsync(gateway, "/other"));
        Assert.Equal(3, failing.Calls);
    }
}
