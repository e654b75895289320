using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;

namespace FunctionApp.Gateway.Proxy.Tests;

/// <summary>
/// Parallel merge of several backends, end to end: shallow merge in config order, partial failures (200,
/// <c>X-Krakend-Completed: false</c>, no Cache-Control), total failure (500), the 85 % merge deadline and shadow
/// backends.
/// </summary>
public sealed class MergeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private const string Shadow = "\"extra_config\":{\"proxy\":{\"shadow\":true}},";

    [Theory]
    [InlineData(new[] { """{"a":1}""", """{"b":2}""" }, 200, """{"a":1,"b":2}""", "true")]
    [InlineData(new[] { """{"a":1,"x":"first"}""", """{"b":2,"x":"second"}""", """{"c":3,"x":"third"}""" }, 200, """{"a":1,"b":2,"c":3,"x":"third"}""", "true")]
    [InlineData(new[] { """{"x":{"deep":1},"a":1}""", """{"x":{"other":2}}""" }, 200, """{"a":1,"x":{"other":2}}""", "true")]
    [InlineData(new[] { """{"a":1}""", "{}" }, 200, """{"a":1}""", "true")]
    [InlineData(new[] { "{}", "{}" }, 200, "{}", "false")]
    [InlineData(new[] { """{"a":1}""", "500" }, 200, """{"a":1}""", "false")]
    [InlineData(new[] { "500", """{"b":2}""" }, 200, """{"b":2}""", "false")]
    [InlineData(new[] { """{"a":1}""", "invalid" }, 200, """{"a":1}""", "false")]
    [InlineData(new[] { """{"a":1}""", "closed" }, 200, """{"a":1}""", "false")]
    [InlineData(new[] { """{"a":1}""", "500", """{"c":3}""" }, 200, """{"a":1,"c":3}""", "false")]
    [InlineData(new[] { """{"a":1}""", """[1,2]""" }, 200, """{"a":1}""", "false")]
    [InlineData(new[] { "{}", "500" }, 200, "{}", "false")]
    [InlineData(new[] { "500", "500" }, 500, "", "false")]
    [InlineData(new[] { "500", "invalid", "closed" }, 500, "", "false")]
    public async Task Merge_BackendOutcomes_MergedAsKrakenDDoes(string[] specs, int status, string body, string completed)
    {
        await using var upstreams = await Upstreams.StartAsync(specs);
        var config = Krakend.Config(E2E.Endpoint("/merge", "\"cache_ttl\":\"60s\",", upstreams.Backends()));
        await using var gateway = await TestGateway.StartAsync(config);

        var reply = await E2E.GetAsync(gateway, "/merge");

        Assert.Equal(status, reply.Status);
        Assert.Equal(body, reply.Body);
        Assert.Equal(completed, reply.Completed);
        Assert.Equal(completed == "true" ? "public, max-age=60" : null, reply.CacheControl);
        for (var i = 0; i < upstreams.Count; i++)
        {
            Assert.True(upstreams[i].Calls <= 1, $"backend {i} called {upstreams[i].Calls} times");
        }
    }

    [Fact]
    public async Task Merge_AllFailWithReturnErrorMsg_ErrorsJoinedByNewline()
    {
        await using var upstreams = await Upstreams.StartAsync("500", "500");
        var config = Krakend.Config(E2E.Endpoint("/merge", "", upstreams.Backends()), Krakend.Router("\"return_error_msg\":true"));
        await using var gateway = await TestGateway.StartAsync(config);

        var reply = await E2E.GetAsync(gateway, "/merge");

        Assert.Equal(500, reply.Status);
        Assert.Equal(
            $"invalid status code 500 [GET /b0]: {upstreams[0].BaseUrl}/b0\ninvalid status code 500 [GET /b1]: {upstreams[1].BaseUrl}/b1",
            reply.Body);
        Assert.Equal("text/plain; charset=utf-8", reply.ContentType);
        Assert.Equal("false", reply.Completed);
    }

    [Fact]
    public async Task Merge_OneFailsWithReturnErrorMsg_StillPartial200()
    {
        await using var upstreams = await Upstreams.StartAsync("""{"a":1}""", "500");
        var config = Krakend.Config(E2E.Endpoint("/merge", "", upstreams.Backends()), Krakend.Router("\"return_error_msg\":true"));
        await using var gateway = await TestGateway.StartAsync(config);

        var reply = await E2E.GetAsync(gateway, "/merge");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"a":1}""", reply.Body);
        Assert.Equal("false", reply.Completed);
    }

    [Fact]
    public async Task Merge_OneFailsWithReturnErrorCode_StillPartial200()
    {
        await using var upstreams = await Upstreams.StartAsync("""{"a":1}""", "500");
        var backends = E2E.Backend(upstreams[0], "/b0") + "," + E2E.Backend(upstreams[1], "/b1", "\"extra_config\":{\"backend/http\":{\"return_error_code\":true}},");
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/merge", "", backends)));

        var reply = await E2E.GetAsync(gateway, "/merge");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"a":1}""", reply.Body);
        Assert.Equal("false", reply.Completed);
    }

    [Fact]
    public async Task Merge_AllFailWithReturnErrorCode_500NotTheBackendStatus()
    {
        await using var upstreams = await Upstreams.StartAsync("500", "500");
        var config = Krakend.Config(E2E.Endpoint("/merge", "", upstreams.Backends("\"extra_config\":{\"backend/http\":{\"return_error_code\":true}},")));
        await using var gateway = await TestGateway.StartAsync(config);

        var reply = await E2E.GetAsync(gateway, "/merge");

        Assert.Equal(500, reply.Status);
        Assert.Equal("false", reply.Completed);
    }

    [Fact]
    public async Task Merge_OneFailsWithReturnErrorDetails_ItsDetailsMergedAndIncomplete()
    {
        await using var ok = await Upstream.StartAsync("""{"a":1}""");
        await using var failing = await Upstream.StartAsync((_, context) => CapturingBackend.RespondJsonAsync(context, """{"why":"gone"}""", 404));
        var backends = E2E.Backend(ok, "/ok") + "," + E2E.Backend(failing, "/gone", "\"extra_config\":{\"backend/http\":{\"return_error_details\":\"b\"}},");
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/merge", "\"cache_ttl\":\"60s\",", backends)));

        var reply = await E2E.GetAsync(gateway, "/merge");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"a":1,"error_b":{"http_status_code":404,"http_body":"{\"why\":\"gone\"}","http_body_encoding":"application/json"}}""", reply.Body);
        Assert.Equal("false", reply.Completed);
        Assert.Null(reply.CacheControl);
    }

    [Fact]
    public async Task Merge_SlowBackend_PartialResponseAtTheMergeDeadline()
    {
        await using var upstreams = await Upstreams.StartAsync("""{"a":1}""", "slow");
        var config = Krakend.Config(E2E.Endpoint("/merge", "\"timeout\":\"1s\",\"cache_ttl\":\"60s\",", upstreams.Backends()));
        await using var gateway = await TestGateway.StartAsync(config);

        var reply = await E2E.GetAsync(gateway, "/merge");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"a":1}""", reply.Body);
        Assert.Equal("false", reply.Completed);
        Assert.Null(reply.CacheControl);
        Assert.True(reply.Elapsed < TimeSpan.FromSeconds(5), $"took {reply.Elapsed}");
        await upstreams[1].Aborted.Task.WaitAsync(Wait);
    }

    [Fact]
    public async Task Merge_AllSlowWithReturnErrorMsg_500DeadlineExceeded()
    {
        await using var upstreams = await Upstreams.StartAsync("slow", "slow");
        var config = Krakend.Config(E2E.Endpoint("/merge", "\"timeout\":\"500ms\",", upstreams.Backends()), Krakend.Router("\"return_error_msg\":true"));
        await using var gateway = await TestGateway.StartAsync(config);

        var reply = await E2E.GetAsync(gateway, "/merge");

        Assert.Equal(500, reply.Status);
        Assert.Equal("context deadline exceeded\ncontext deadline exceeded", reply.Body);
        Assert.True(reply.Elapsed < TimeSpan.FromSeconds(5), $"took {reply.Elapsed}");
    }

    [Theory]
    [InlineData("""{"a":"shadow","s":1}""")]
    [InlineData("500")]
    [InlineData("closed")]
    public async Task Shadow_Backend_CalledButNeverInTheResponse(string shadowSpec)
    {
        await using var regular = await Upstream.StartAsync("""{"a":1}""");
        await using var shadow = await Upstream.StartAsync(shadowSpec);
        var backends = E2E.Backend(regular, "/r") + "," + E2E.Backend(shadow, "/s", Shadow);
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/shadow", "", backends)));

        var reply = await E2E.GetAsync(gateway, "/shadow");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"a":1}""", reply.Body);
        Assert.Equal("true", reply.Completed);
        if (shadowSpec != "closed")
        {
            await shadow.WaitForCallsAsync(1);
            Assert.Equal("/s", shadow.Requests[0].Path);
        }
    }

    [Fact]
    public async Task Shadow_WithTwoRegularBackends_OnlyTheRegularOnesAreMerged()
    {
        await using var upstreams = await Upstreams.StartAsync("""{"a":1}""", """{"s":1,"a":"shadow"}""", """{"b":2}""");
        var backends = E2E.Backend(upstreams[0], "/b0") + "," + E2E.Backend(upstreams[1], "/b1", Shadow) + "," + E2E.Backend(upstreams[2], "/b2");
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/shadow", "", backends)));

        var reply = await E2E.GetAsync(gateway, "/shadow");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"a":1,"b":2}""", reply.Body);
        Assert.Equal("true", reply.Completed);
        await upstreams[1].WaitForCallsAsync(1);
    }

    [Fact]
    public async Task Shadow_SlowBackend_DoesNotDelayTheResponse()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var regular = await Upstream.StartAsync("""{"a":1}""");
        await using var shadow = await Upstream.StartAsync(async (_, context) =>
        {
            // Held until the client has its answer (or 30 s at most).
            await release.Task.WaitAsync(TimeSpan.FromSeconds(30), context.RequestAborted);
            await CapturingBackend.RespondJsonAsync(context, """{"late":true}""");
        });
        var backends = E2E.Backend(regular, "/r") + "," + E2E.Backend(shadow, "/s", Shadow);
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/shadow", "\"timeout\":\"10s\",", backends)));

        var reply = await E2E.GetAsync(gateway, "/shadow");
        release.SetResult();

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"a":1}""", reply.Body);
        Assert.Equal("true", reply.Completed);
        Assert.True(reply.Elapsed < TimeSpan.FromSeconds(5), $"took {reply.Elapsed}: the response waited for the shadow backend");
        await shadow.WaitForCallsAsync(1);
    }

    [Fact]
    public async Task Shadow_OneRegularBackend_BehavesAsASingleBackendEndpoint()
    {
        // KrakenD builds the regular backends' pipeline on its own: one regular backend is a single-backend
        // endpoint, so return_error_code passes the backend's status through.
        await using var regular = await Upstream.StartAsync((_, context) => CapturingBackend.RespondJsonAsync(context, """{"missing":true}""", 404));
        await using var shadow = await Upstream.StartAsync("""{"s":1}""");
        var backends = E2E.Backend(regular, "/r", "\"extra_config\":{\"backend/http\":{\"return_error_code\":true}},") + "," + E2E.Backend(shadow, "/s", Shadow);
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/shadow", "", backends)));

        var reply = await E2E.GetAsync(gateway, "/shadow");

        Assert.Equal(404, reply.Status);
        await shadow.WaitForCallsAsync(1);
    }

    [Fact]
    public async Task Shadow_EveryBackendIsShadow_500ButTheyAreStillCalled()
    {
        // KrakenD refuses such an endpoint at start-up; here it answers 500.
        await using var shadow = await Upstream.StartAsync("""{"s":1}""");
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/shadow", "", E2E.Backend(shadow, "/s", Shadow))));

        var reply = await E2E.GetAsync(gateway, "/shadow");

        Assert.Equal(500, reply.Status);
        await shadow.WaitForCallsAsync(1);
    }
}
