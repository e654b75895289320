using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Telemetry.Configuration;
using Telemetry.Instrumentation;
using Telemetry.Layers.BackendRequest;

namespace FunctionApp.Tests.Telemetry.Layers.BackendRequest;

/// <summary>
/// A real SDK pipeline (TracerProvider and MeterProvider with in-memory exporters) over a <see cref="TelemetrySources"/>
/// with a name of its own, so tests running in parallel never see each other's data.
/// </summary>
internal sealed class TelemetryCapture : IDisposable
{
    private readonly List<MetricSnapshot> _exported = [];
    private readonly TracerProvider? _tracerProvider;
    private readonly MeterProvider? _meterProvider;

    public TelemetryCapture(bool traces = true, bool metrics = true, Sampler? sampler = null)
    {
        Sources = new TelemetrySources(HistogramOptions.Default, $"test.backend-request.{Guid.NewGuid():N}");
        if (traces)
        {
            _tracerProvider = Sdk.CreateTracerProviderBuilder()
                .AddSource(Sources.Name)
                .SetSampler(sampler ?? new AlwaysOnSampler())
                .AddInMemoryExporter(Spans)
                .Build();
        }

        if (metrics)
        {
            _meterProvider = Sdk.CreateMeterProviderBuilder()
                .AddMeter(Sources.Name)
                .AddInMemoryExporter(_exported)
                .Build();
        }
    }

    public TelemetrySources Sources { get; }

    /// <summary>Ended spans, exported as they end.</summary>
    public List<Activity> Spans { get; } = [];

    public static TextMapPropagator Propagator { get; } = new CompositeTextMapPropagator([new TraceContextPropagator(), new BaggagePropagator()]);

    public static BackendRequestIdentity Identity { get; } = new("/users/:id", "GET", "/api/users/:id", "GET");

    /// <summary>Every metric with at least one point, as of now (cumulative).</summary>
    public List<MetricSnapshot> Metrics()
    {
        lock (_exported)
        {
            _exported.Clear();
            _meterProvider!.ForceFlush();
            return [.. _exported];
        }
    }

    public static MetricSnapshot Find(List<MetricSnapshot> metrics, string name) => Assert.Single(metrics, m => m.Name == name);

    public static MetricPoint SinglePoint(List<MetricSnapshot> metrics, string name) => Assert.Single(Find(metrics, name).MetricPoints);

    public static Dictionary<string, object?> Tags(MetricPoint point)
    {
        var tags = new Dictionary<string, object?>();
        foreach (var tag in point.Tags)
        {
            tags.Add(tag.Key, tag.Value);
        }

        return tags;
    }

    /// <summary>The span standing in for the backend stage (the client span's parent).</summary>
    public Activity StartStageSpan() => Sources.ActivitySource.StartActivity("backend-stage", ActivityKind.Internal)!;

    public BackendRequestTelemetry Create(BackendLayerOptions? options = null, bool semanticConvention127 = false) =>
        BackendRequestTelemetry.Create(Sources, options ?? BackendLayerOptions.Default, Identity, semanticConvention127, Propagator)!;

    public void Dispose()
    {
        _tracerProvider?.Dispose();
        _meterProvider?.Dispose();
        Sources.Dispose();
    }
}

/// <summary>A Kestrel server on a free IPv4 loopback port, standing in for a backend (plain HTTP or HTTPS).</summary>
internal sealed class LoopbackBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackBackend(WebApplication app, Uri baseUri, X509Certificate2? certificate)
    {
        _app = app;
        BaseUri = baseUri;
        Certificate = certificate;
    }

    public Uri BaseUri { get; }

    public int Port => BaseUri.Port;

    /// <summary>The server certificate of an HTTPS backend.</summary>
    public X509Certificate2? Certificate { get; }

    public Uri Url(string pathAndQuery) => new(BaseUri, pathAndQuery);

    public static async Task<LoopbackBackend> StartAsync(RequestDelegate handler, bool https = false)
    {
        var certificate = https ? CreateCertificate() : null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        return new LoopbackBackend(app, new Uri(app.Urls.First()), certificate);
    }

    /// <summary>A request handler answering with <paramref name="body"/> and its Content-Length.</summary>
    public static RequestDelegate Respond(string body, int status = 200) => async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentLength = body.Length;
        await context.Response.WriteAsync(body);
    };

    /// <summary>A loopback port nothing listens on (connections are refused).</summary>
    public static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>A client like the gateway's (no proxy, redirects or propagation of its own), trusting this backend's certificate.</summary>
    public HttpMessageInvoker CreateInvoker()
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ActivityHeadersPropagator = null,
        };
        if (Certificate is { } trusted)
        {
            var thumbprint = trusted.GetCertHashString();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == thumbprint;
        }

        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), password: null);
    }

    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            await _app.StopAsync(stop.Token);
        }

        await _app.DisposeAsync();
        Certificate?.Dispose();
    }
}
