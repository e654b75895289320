using System.Net;
using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;

namespace FunctionApp.Gateway.Routing.Tests;

/// <summary>
/// In the Azure Functions mode the host probes <c>GET /</c> without an invocation id; the gateway answers it itself,
/// even when an endpoint <c>/</c> exists, and proxies requests that carry an invocation id.
/// </summary>
public sealed class HostProbeTests
{
    private static async Task<(CapturingBackend Backend, TestGateway Gateway)> StartAsync(string inputHeaders = "")
    {
        var backend = await CapturingBackend.StartAsync("""{"proxied":true}""");
        var extras = inputHeaders.Length > 0 ? $"\"input_headers\":{inputHeaders}," : string.Empty;
        var config = Krakend.Config(
            Krakend.Endpoint("/", backend.BaseUrl, "/root", extras) + ","
            + Krakend.Endpoint("/data", backend.BaseUrl, "/data"));
        var gateway = await TestGateway.StartAsync(config, answersHostProbe: true);
        return (backend, gateway);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    public async Task Probe_RootWithoutInvocationId_Returns200EmptyWithoutProxying(string method)
    {
        var (backend, gateway) = await StartAsync();
        await using (backend)
        await using (gateway)
        {
            var response = await gateway.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/"));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
            Assert.False(response.Headers.Contains("X-Krakend"));
            Assert.Empty(backend.Requests);
        }
    }

    [Theory]
    [InlineData("X-Azure-Functions-InvocationId")]
    [InlineData("x-ms-invocation-id")]
    public async Task Probe_RootWithInvocationId_IsProxied(string header)
    {
        var (backend, gateway) = await StartAsync();
        await using (backend)
        await using (gateway)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.TryAddWithoutValidation(header, "6f1c2a3b-0000-4000-8000-000000000001");

            var response = await gateway.Client.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("""{"proxied":true}""", await response.Content.ReadAsStringAsync());
            Assert.Equal("/root", backend.OnlyRequest().RawTarget);
        }
    }

    [Fact]
    public async Task Probe_InvocationIdHeaders_AreNotForwardedEvenWithWildcard()
    {
        var (backend, gateway) = await StartAsync("""["*"]""");
        await using (backend)
        await using (gateway)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.TryAddWithoutValidation("X-Azure-Functions-InvocationId", "6f1c2a3b-0000-4000-8000-000000000001");
            request.Headers.TryAddWithoutValidation("x-ms-invocation-id", "6f1c2a3b-0000-4000-8000-000000000002");
            request.Headers.TryAddWithoutValidation("X-Custom", "kept");

            await gateway.Client.SendAsync(request);

            var received = backend.OnlyRequest();
            Assert.Equal("kept", received.Header("X-Custom"));
            Assert.False(received.HasHeader("X-Azure-Functions-InvocationId"));
            Assert.False(received.HasHeader("x-ms-invocation-id"));
        }
    }

    [Fact]
    public async Task Probe_OtherPathsWithoutInvocationId_AreProxied()
    {
        var (backend, gateway) = await StartAsync();
        await using (backend)
        await using (gateway)
        {
            var response = await gateway.Client.GetAsync("/data");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("/data", backend.OnlyRequest().RawTarget);
        }
    }

    [Fact]
    public async Task Probe_Standalone_RootWithoutInvocationIdIsProxied()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/", backend.BaseUrl, "/root"), answersHostProbe: false);

        var response = await gateway.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/root", backend.OnlyRequest().RawTarget);
    }
}
