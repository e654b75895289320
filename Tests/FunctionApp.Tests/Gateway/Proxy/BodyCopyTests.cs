using System.Net.Http.Headers;
using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;

namespace FunctionApp.Gateway.Proxy.Tests;

/// <summary>
/// The client's body when several backend calls need it: every call that sends a body gets the whole body, and
/// backends whose method has no body get none.
/// </summary>
public sealed class BodyCopyTests
{
    private static byte[] Payload(int size)
    {
        var payload = new byte[size];
        new Random(size).NextBytes(payload);
        return payload;
    }

    private static async Task<GatewayReply> PostAsync(TestGateway gateway, string path, byte[] payload, bool chunked = false, string method = "POST")
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = chunked ? new StreamContent(new MemoryStream(payload), 4096) : new ByteArrayContent(payload),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (chunked)
        {
            request.Headers.TransferEncodingChunked = true;
        }

        return await E2E.SendAsync(gateway, request);
    }

    [Theory]
    [InlineData(5, false)]
    [InlineData(200_000, false)]
    [InlineData(200_000, true)]
    public async Task Body_PostEndpointWithTwoPostBackends_BothReceiveTheWholeBody(int size, bool chunked)
    {
        var payload = Payload(size);
        await using var upstreams = await Upstreams.StartAsync("""{"a":1}""", """{"b":2}""");
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/post", "\"method\":\"POST\",", upstreams.Backends())));

        var reply = await PostAsync(gateway, "/post", payload, chunked);

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"a":1,"b":2}""", reply.Body);
        for (var i = 0; i < 2; i++)
        {
            var received = Assert.Single(upstreams[i].Requests);
            Assert.Equal("POST", received.Method);
            Assert.Equal(payload, received.Body);
            Assert.Equal("application/octet-stream", received.Header("Content-Type"));
        }
    }

    [Fact]
    public async Task Body_PostEndpointWithTwoGetBackends_NeitherReceivesABody()
    {
        await using var upstreams = await Upstreams.StartAsync("""{"a":1}""", """{"b":2}""");
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/post", "\"method\":\"POST\",", upstreams.Backends("\"method\":\"GET\","))));

        var reply = await PostAsync(gateway, "/post", Payload(1000));

        Assert.Equal(200, reply.Status);
        for (var i = 0; i < 2; i++)
        {
            var received = Assert.Single(upstreams[i].Requests);
            Assert.Equal("GET", received.Method);
            Assert.Empty(received.Body);
        }
    }

    [Fact]
    public async Task Body_PostAndGetBackends_OnlyThePostOneReceivesTheBody()
    {
        var payload = Payload(70_000);
        await using var upstreams = await Upstreams.StartAsync("""{"a":1}""", """{"b":2}""", """{"c":3}""");
        var backends = E2E.Backend(upstreams[0], "/b0", "\"method\":\"GET\",")
            + "," + E2E.Backend(upstreams[1], "/b1")
            + "," + E2E.Backend(upstreams[2], "/b2", "\"method\":\"PUT\",");
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/post", "\"method\":\"POST\",", backends)));

        var reply = await PostAsync(gateway, "/post", payload);

        Assert.Equal(200, reply.Status);
        Assert.Empty(Assert.Single(upstreams[0].Requests).Body);
        Assert.Equal(payload, Assert.Single(upstreams[1].Requests).Body);
        var put = Assert.Single(upstreams[2].Requests);
        Assert.Equal("PUT", put.Method);
        Assert.Equal(payload, put.Body);
    }

    [Fact]
    public async Task Body_SequentialBackends_EachReceivesTheWholeBody()
    {
        var payload = Payload(50_000);
        await using var upstreams = await Upstreams.StartAsync("""{"id":1}""", """{"b":2}""");
        var backends = E2E.Backend(upstreams[0], "/first") + "," + E2E.Backend(upstreams[1], "/second/{resp0_id}");
        var endpoint = E2E.Endpoint("/post", "\"method\":\"POST\"," + E2E.ProxyOptions("\"sequential\":true"), backends);
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(endpoint));

        var reply = await PostAsync(gateway, "/post", payload, chunked: true);

        Assert.Equal(200, reply.Status);
        Assert.Equal(payload, Assert.Single(upstreams[0].Requests).Body);
        Assert.Equal(payload, Assert.Single(upstreams[1].Requests).Body);
    }

    [Fact]
    public async Task Body_ConcurrentCalls_EveryCallReceivesTheWholeBody()
    {
        var payload = Payload(30_000);
        await using var upstream = await Upstream.StartAsync(async (call, context) =>
        {
            // Hold every call until all three arrived, so none is cancelled before its body was read.
            await Task.Delay(call < 3 ? 300 : 100);
            await CapturingBackend.RespondJsonAsync(context, """{"ok":true}""");
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/post", "\"method\":\"POST\",\"concurrent_calls\":3,", E2E.Backend(upstream, "/x"))));

        var reply = await PostAsync(gateway, "/post", payload);

        Assert.Equal(200, reply.Status);
        Assert.Equal(3, upstream.Requests.Count);
        Assert.All(upstream.Requests, r => Assert.Equal(payload, r.Body));
    }

    [Fact]
    public async Task Body_ShadowBackend_ReceivesTheSameBodyAsTheRegularOne()
    {
        var payload = Payload(40_000);
        await using var regular = await Upstream.StartAsync("""{"a":1}""");
        await using var shadow = await Upstream.StartAsync("""{"s":1}""");
        var backends = E2E.Backend(regular, "/r") + "," + E2E.Backend(shadow, "/s", "\"extra_config\":{\"proxy\":{\"shadow\":true}},");
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/post", "\"method\":\"POST\",", backends)));

        var reply = await PostAsync(gateway, "/post", payload, chunked: true);

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"a":1}""", reply.Body);
        Assert.Equal(payload, Assert.Single(regular.Requests).Body);
        await shadow.WaitForCallsAsync(1);
        Assert.Equal(payload, Assert.Single(shadow.Requests).Body);
    }

    [Fact]
    public async Task Body_EmptyPostToTwoBackends_BothReceiveAnEmptyBody()
    {
        await using var upstreams = await Upstreams.StartAsync("""{"a":1}""", """{"b":2}""");
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/post", "\"method\":\"POST\",", upstreams.Backends())));

        var reply = await PostAsync(gateway, "/post", []);

        Assert.Equal(200, reply.Status);
        Assert.Empty(Assert.Single(upstreams[0].Requests).Body);
        Assert.Empty(Assert.Single(upstreams[1].Requests).Body);
    }
}
