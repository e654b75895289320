using System.Net;
using FunctionApp.Gateway.Configuration;
using FunctionApp.Hosting;
using Microsoft.AspNetCore.Builder;

namespace FunctionApp.Tests.Common;

/// <summary>The gateway, in-process, on a free loopback port, serving a krakend.json given as text.</summary>
public sealed class TestGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestGateway(WebApplication app, int port)
    {
        _app = app;
        Port = port;
        Client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public int Port { get; }

    public HttpClient Client { get; }

    /// <summary>Starts a gateway. <paramref name="answersHostProbe"/> selects the Azure Functions mode's behaviour.</summary>
    public static async Task<TestGateway> StartAsync(string krakendJson, bool answersHostProbe = false, global::Telemetry.Runtime.TelemetryRuntimeSettings? telemetry = null, int port = 0)
    {
        var model = ConfigLoader.Load(krakendJson, "test config");
        var mode = new HostingMode
        {
            Name = answersHostProbe ? "functions" : "standalone",
            ListenOn = new IPEndPoint(IPAddress.Loopback, port),
            AnswersHostProbe = answersHostProbe,
        };
        var app = GatewayHost.Build(model, mode, telemetrySettings: telemetry);
        await app.StartAsync();
        return new TestGateway(app, new Uri(app.Urls.First()).Port);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            await _app.StopAsync(stop.Token);
        }

        await _app.DisposeAsync();
    }
}
