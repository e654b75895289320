using System.Net;
using System.Net.Sockets;
using FunctionApp.Tests.Common;

namespace FunctionApp.Hosting.Tests;

/// <summary>
/// Starts the real FunctionApp binary the way the Azure Functions host does (FUNCTIONS_CUSTOMHANDLER_PORT set) and
/// talks to it with requests shaped like the host's proxied invocations.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class CustomHandlerContractTests
{
    private const string FunctionKey = "FUNCTION-KEY-MUST-NOT-LEAK";

    private static string Config(string backendUrl) => $$"""
        {
          "version": 3,
          "endpoints": [
            { "endpoint": "/", "backend": [ { "host": ["{{backendUrl}}"], "url_pattern": "/root" } ] },
            {
              "endpoint": "/orders/{id}",
              "input_headers": ["*"],
              "input_query_strings": ["*"],
              "backend": [ { "host": ["{{backendUrl}}"], "url_pattern": "/v1/orders/{id}" } ]
            }
          ]
        }
        """;

    private static GatewayProcess StartCustomHandler(int port, string config) =>
        GatewayProcess.Start(GatewayProcess.BuiltBinary, [], new Dictionary<string, string>
        {
            ["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["FUNCTIONS_CUSTOMHANDLER_WORKER_ID"] = Guid.NewGuid().ToString(),
            ["GATEWAY_CONFIG"] = config,
        });

    private static HttpClient NewClient() => new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10) };

    private static HttpRequestMessage HostShapedRequest(int port, string pathAndQuery)
    {
        var invocationId = Guid.NewGuid().ToString();
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{pathAndQuery}");
        request.Headers.Host = $"127.0.0.1:{port}";
        request.Headers.Add("X-Azure-Functions-InvocationId", invocationId);
        request.Headers.Add("x-ms-invocation-id", invocationId);
        request.Headers.Add("X-Azure-Functions-HostVersion", "4.1040.0");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.Add("X-Forwarded-Host", "contoso-gw.azurewebsites.net");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("x-functions-key", FunctionKey);
        return request;
    }

    [Fact]
    public async Task HostProbe_GetRootWithoutInvocationId_AnsweredAtOnceAndNeverProxied()
    {
        await using var backend = await RecordingBackend.StartAsync();
        var port = GatewayProcess.FreePort();
        await using var gateway = StartCustomHandler(port, Config(backend.BaseUrl));
        using var client = NewClient();

        using var probe = await gateway.WaitForAsync(client, $"http://127.0.0.1:{port}/", TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        for (var i = 0; i < 5; i++)
        {
            using var again = await client.GetAsync($"http://127.0.0.1:{port}/");
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        Assert.Empty(backend.Requests);

        // The same path inside an invocation is gateway traffic.
        using var invocation = await client.SendAsync(HostShapedRequest(port, "/"));
        Assert.Equal(HttpStatusCode.OK, invocation.StatusCode);
        Assert.Equal("/root", Assert.Single(backend.Requests).RawTarget);
    }

    [Fact]
    public async Task Invocation_WithFunctionKeysAndForwardedHeaders_KeysNeverReachBackendAndClientIsTheForwardedOne()
    {
        await using var backend = await RecordingBackend.StartAsync("{\"id\":42,\"status\":\"shipped\"}");
        var port = GatewayProcess.FreePort();
        await using var gateway = StartCustomHandler(port, Config(backend.BaseUrl));
        using var client = NewClient();
        (await gateway.WaitForAsync(client, $"http://127.0.0.1:{port}/", TimeSpan.FromSeconds(30))).Dispose();

        using var response = await client.SendAsync(HostShapedRequest(port, $"/orders/42?code={FunctionKey}&expand=items"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"id\":42,\"status\":\"shipped\"}", await response.Content.ReadAsStringAsync());
        var received = Assert.Single(backend.Requests);
        Assert.Equal("/v1/orders/42?expand=items", received.RawTarget);
        Assert.DoesNotContain(FunctionKey, received.RawTarget, StringComparison.Ordinal);
        foreach (var (name, value) in received.Headers)
        {
            Assert.DoesNotContain(FunctionKey, value, StringComparison.Ordinal);
            Assert.NotEqual("x-functions-key", name, StringComparer.OrdinalIgnoreCase);
        }

        Assert.False(received.Headers.ContainsKey("X-Azure-Functions-InvocationId"));
        Assert.False(received.Headers.ContainsKey("x-ms-invocation-id"));
        Assert.Equal("203.0.113.7", received.Headers["X-Forwarded-For"]);
        Assert.Equal("contoso-gw.azurewebsites.net", received.Headers["X-Forwarded-Host"]);
    }

    [Fact]
    public async Task CustomHandlerMode_ListensOnIPv4LoopbackOnly()
    {
        await using var backend = await RecordingBackend.StartAsync();
        var port = GatewayProcess.FreePort();
        await using var gateway = StartCustomHandler(port, Config(backend.BaseUrl));
        using var client = NewClient();
        (await gateway.WaitForAsync(client, $"http://127.0.0.1:{port}/", TimeSpan.FromSeconds(30))).Dispose();

        using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAnyAsync<SocketException>(() => socket.ConnectAsync(new IPEndPoint(IPAddress.IPv6Loopback, port)));
        Assert.NotNull(refused);
        Assert.Contains("functions", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidConfig_ProcessExitsNonZeroNamingThePath()
    {
        var port = GatewayProcess.FreePort();
        const string config = """{ "version": 3, "endpoints": [ { "endpoint": "/users/{user}", "backend": [ { "host": ["http://127.0.0.1:1"], "url_pattern": "/u/{id}" } ] } ] }""";
        await using var gateway = StartCustomHandler(port, config);

        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
        Assert.Contains("endpoints[0].backend[0].url_pattern: {id} is not a parameter of /users/{user}", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadCustomHandlerPort_ProcessExitsWithUsageError()
    {
        await using var gateway = GatewayProcess.Start(GatewayProcess.BuiltBinary, [], new Dictionary<string, string> { ["FUNCTIONS_CUSTOMHANDLER_PORT"] = "not-a-port" });

        Assert.Equal(2, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("FUNCTIONS_CUSTOMHANDLER_PORT", gateway.Output, StringComparison.Ordinal);
    }
}
