using System.IO.Compression;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Telemetry.Prometheus;

/// <summary>
/// The dedicated <c>/metrics</c> server of one Prometheus exporter (reference §6.2): Kestrel on
/// <c>listen_ip:port</c> (empty = every interface), serving only <c>GET</c>/<c>HEAD /metrics</c> (other paths 404,
/// other methods 405), with a 3 s request-header timeout and gzip when the scraper accepts it. A listen failure is
/// logged once and leaves <see cref="IsListening"/> false; it never throws, as in KrakenD.
/// </summary>
public sealed partial class PrometheusMetricsServer : IAsyncDisposable
{
    public const string MetricsPath = "/metrics";

    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(5);

    private readonly Func<CancellationToken, Task<byte[]>> _scrape;
    private readonly string _listenIp;
    private readonly int _port;
    private readonly ILogger _logger;
    private WebApplication? _app;

    /// <summary>Serves <paramref name="exporter"/>'s scrapes.</summary>
    public PrometheusMetricsServer(PrometheusMetricsExporter exporter, string listenIp, int port, ILogger logger)
        : this(ScrapeOf(exporter), listenIp, port, logger)
    {
    }

    /// <summary>Serves whatever <paramref name="scrape"/> renders (text format 0.0.4, UTF-8).</summary>
    public PrometheusMetricsServer(Func<CancellationToken, Task<byte[]>> scrape, string listenIp, int port, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(scrape);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        _scrape = scrape;
        _listenIp = listenIp?.Trim() ?? "";
        _port = port;
        _logger = logger;
    }

    /// <summary>True once <see cref="StartAsync"/> bound the port.</summary>
    public bool IsListening { get; private set; }

    /// <summary>The bound port (the actual one when 0 was asked for); 0 while not listening.</summary>
    public int Port { get; private set; }

    /// <summary>Binds and starts serving. Never throws for a listen failure: it is logged and <see cref="IsListening"/> stays false.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_app is not null)
        {
            return;
        }

        WebApplication? app = null;
        try
        {
            var endpoint = await ResolveEndpointAsync(cancellationToken);
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
            // Only what is set here: no appsettings "Kestrel" endpoints or URLs of the gateway's own host.
            builder.Configuration.Sources.Clear();
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(3);
                if (endpoint is null)
                {
                    kestrel.ListenAnyIP(_port);
                }
                else
                {
                    kestrel.Listen(endpoint);
                }
            });
            app = builder.Build();
            app.Run(HandleAsync);
            await app.StartAsync(cancellationToken);

            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            Port = address is null ? _port : BindingAddress.Parse(address).Port;
            IsListening = true;
            _app = app;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogListenFailed(_logger, exception.Message);
            if (app is not null)
            {
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>Stops serving (in-flight scrapes get up to 5 s, as in KrakenD).</summary>
    public async ValueTask DisposeAsync()
    {
        var app = _app;
        _app = null;
        IsListening = false;
        if (app is null)
        {
            return;
        }

        using (var grace = new CancellationTokenSource(ShutdownGrace))
        {
            await app.StopAsync(grace.Token);
        }

        await app.DisposeAsync();
    }

    private static Func<CancellationToken, Task<byte[]>> ScrapeOf(PrometheusMetricsExporter exporter)
    {
        ArgumentNullException.ThrowIfNull(exporter);
        return exporter.ScrapeAsync;
    }

    /// <summary>Null means every interface; a host name is resolved once (IPv4 first, as Go's listener prefers).</summary>
    private async Task<IPEndPoint?> ResolveEndpointAsync(CancellationToken cancellationToken)
    {
        if (_listenIp.Length == 0)
        {
            return null;
        }

        if (IPAddress.TryParse(_listenIp.Trim('[', ']'), out var address))
        {
            return new IPEndPoint(address, _port);
        }

        var addresses = await Dns.GetHostAddressesAsync(_listenIp, cancellationToken);
        var chosen = addresses.FirstOrDefault(static a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new IOException($"listen_ip \"{_listenIp}\" resolves to no address");
        return new IPEndPoint(chosen, _port);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (!string.Equals(request.Path.Value, MetricsPath, StringComparison.Ordinal))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            response.ContentType = "text/plain; charset=utf-8";
            await response.WriteAsync("404 page not found\n", context.RequestAborted);
            return;
        }

        var head = HttpMethods.IsHead(request.Method);
        if (!head && !HttpMethods.IsGet(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "GET, HEAD";
            return;
        }

        byte[] body;
        try
        {
            body = await _scrape(context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception exception)
        {
            LogScrapeFailed(_logger, exception);
            response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = PrometheusTextWriter.ContentType;
        if (AcceptsGzip(request))
        {
            response.Headers.ContentEncoding = "gzip";
            using var compressed = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(body);
            }

            body = compressed.ToArray();
        }

        response.ContentLength = body.Length;
        if (!head)
        {
            await response.Body.WriteAsync(body, context.RequestAborted);
        }
    }

    private static bool AcceptsGzip(HttpRequest request) =>
        request.GetTypedHeaders().AcceptEncoding.Any(static coding =>
            coding.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) && coding.Quality is not 0);

    [LoggerMessage(Level = LogLevel.Error, Message = "[SERVICE: kotel] The Prometheus exporter failed to listen and serve: {Error}")]
    private static partial void LogListenFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "[SERVICE: kotel] The Prometheus exporter failed to render the metrics")]
    private static partial void LogScrapeFailed(ILogger logger, Exception exception);

    /// <summary>The metrics server must not react to SIGTERM/Ctrl+C itself: the gateway's host owns the process lifetime.</summary>
    private sealed class NoSignalLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
