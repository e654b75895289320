using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace FunctionApp.Tests.Common;

/// <summary>A target a <see cref="PrometheusServer"/> scrapes.</summary>
/// <param name="Address"><c>host:port</c>, as in a <c>static_configs</c> target.</param>
/// <param name="MetricsPath">The scrape path.</param>
/// <param name="FunctionKey">An Azure function key, sent as the <c>code</c> query parameter (scrape config <c>params</c>), or null.</param>
public sealed record PrometheusScrapeTarget(string Address, string MetricsPath = "/metrics", string? FunctionKey = null);

/// <summary>One sample of an instant vector: its labels and value.</summary>
public sealed record PrometheusSample(IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.TryGetValue(name, out var value) ? value : "";
}

/// <summary>
/// A real Prometheus server (<c>/usr/bin/prometheus</c>, Debian package <c>prometheus</c>, which test.sh installs) on a
/// free loopback port, with its own configuration and TSDB in a temporary folder, scraping one target every
/// <see cref="ScrapeInterval"/> as job <see cref="Job"/>. Queries go through the HTTP API (<c>/api/v1/query</c>). The
/// process is killed and its folder deleted on dispose.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Job = "companion";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();
    private readonly HttpClient _client;

    private PrometheusServer(Process process, string directory, int port, TimeSpan scrapeInterval)
    {
        _process = process;
        _directory = directory;
        Port = port;
        ScrapeInterval = scrapeInterval;
        _client = new HttpClient(new SocketsHttpHandler { UseProxy = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public int Port { get; }

    public TimeSpan ScrapeInterval { get; }

    /// <summary>What Prometheus logged (warnings and errors).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The Prometheus binary: <c>/usr/bin/prometheus</c>, else the first on PATH, else null.</summary>
    public static string? FindBinary() =>
        new[] { "/usr/bin/prometheus" }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "")
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(directory => Path.Combine(directory, "prometheus")))
            .FirstOrDefault(File.Exists);

    /// <summary>
    /// Starts Prometheus scraping <paramref name="target"/> and waits until it is ready (<c>/-/ready</c>). Fails, never
    /// skips, when the binary is missing: a test that needs a real Prometheus must not pass without one.
    /// </summary>
    public static async Task<PrometheusServer> StartAsync(PrometheusScrapeTarget target, TimeSpan? scrapeInterval = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        var binary = FindBinary() ?? throw new InvalidOperationException(
            "prometheus not found (/usr/bin/prometheus or on PATH): run test.sh, which installs Debian's prometheus package");
        var interval = scrapeInterval ?? TimeSpan.FromSeconds(1);
        var directory = Directory.CreateTempSubdirectory("prometheus-").FullName;
        var port = FreePort();
        var configPath = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(configPath, Config(target, interval));

        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var argument in new[]
        {
            "--config.file=" + configPath,
            "--storage.tsdb.path=" + Path.Combine(directory, "data"),
            "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            "--log.level=warn",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new PrometheusServer(process, directory, port, interval);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitUntilReadyAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>The configuration: one job, one static target, a function key as the <c>code</c> parameter.</summary>
    public static string Config(PrometheusScrapeTarget target, TimeSpan scrapeInterval)
    {
        ArgumentNullException.ThrowIfNull(target);
        var seconds = Math.Max(1, (int)Math.Round(scrapeInterval.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s";
        var lines = new List<string>
        {
            "global:",
            $"  scrape_interval: {seconds}",
            $"  scrape_timeout: {seconds}",
            $"  evaluation_interval: {seconds}",
            "scrape_configs:",
            $"  - job_name: {Job}",
            $"    metrics_path: {Quote(target.MetricsPath)}",
        };
        if (target.FunctionKey is { } key)
        {
            lines.Add("    params:");
            lines.Add($"      code: [{Quote(key)}]");
        }

        lines.Add("    static_configs:");
        lines.Add($"      - targets: [{Quote(target.Address)}]");
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>A YAML double-quoted scalar (JSON string syntax is valid YAML).</summary>
    private static string Quote(string value) => JsonSerializer.Serialize(value);

    /// <summary>Evaluates <paramref name="promql"/> now (<c>/api/v1/query</c>) and returns the vector (a scalar as one unlabelled sample).</summary>
    public async Task<IReadOnlyList<PrometheusSample>> QueryAsync(string promql)
    {
        using var response = await _client.GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql));
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (!response.IsSuccessStatusCode || root.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"query {promql} failed ({(int)response.StatusCode}): {body}");
        }

        var data = root.GetProperty("data");
        var result = data.GetProperty("result");
        switch (data.GetProperty("resultType").GetString())
        {
            case "vector":
                return [.. result.EnumerateArray().Select(sample => new PrometheusSample(
                    sample.GetProperty("metric").EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString() ?? "", StringComparer.Ordinal),
                    ParseValue(sample.GetProperty("value"))))];
            case "scalar":
                return [new PrometheusSample(new Dictionary<string, string>(), ParseValue(result))];
            default:
                throw new InvalidOperationException($"query {promql}: unexpected result type in {body}");
        }
    }

    /// <summary>
    /// Waits until a successful scrape that started at or after <paramref name="since"/> is stored and queryable, so a
    /// query afterwards sees the target's state as of then. Decided on the stored <c>up</c> sample, not on the targets
    /// API: Prometheus reports a target's health and last scrape before it commits the scraped samples, while
    /// <c>up</c> is committed with them, stamped with the scrape's start (never later than the request went out).
    /// </summary>
    public async Task WaitForScrapeAsync(DateTimeOffset since, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        // Rounded up: Prometheus stores milliseconds, truncated.
        var sinceMilliseconds = (since.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}:\n{Output}");
            }

            // The newest up sample's timestamp when that scrape succeeded, else 0 (one evaluation, one consistent view).
            var newest = await QueryAsync($"timestamp(up{{job=\"{Job}\"}}) * up{{job=\"{Job}\"}}");
            if (newest.Count == 1 && (long)Math.Round(newest[0].Value * 1000) >= sinceMilliseconds)
            {
                return;
            }

            if (deadline.Elapsed > timeout)
            {
                var (scrapeUrl, health, lastError) = await TargetAsync();
                throw new TimeoutException($"no successful scrape since {since:O} stored within {timeout}: {scrapeUrl} is {health} (\"{lastError}\")\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The active target as Prometheus reports it (<c>/api/v1/targets</c>): its scrape URL and health.</summary>
    public async Task<(string ScrapeUrl, string Health, string LastError)> TargetAsync()
    {
        var body = await _client.GetStringAsync("/api/v1/targets?state=active");
        using var document = JsonDocument.Parse(body);
        var target = document.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray().Single();
        return (target.GetProperty("scrapeUrl").GetString() ?? "", target.GetProperty("health").GetString() ?? "", target.GetProperty("lastError").GetString() ?? "");
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await _client.GetAsync("/-/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (deadline.Elapsed < StartTimeout)
            {
            }

            if (deadline.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"prometheus was not ready within {StartTimeout}:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>A sample value: <c>[unix time, "value"]</c>.</summary>
    private static double ParseValue(JsonElement value) =>
        double.Parse(value[1].GetString() ?? "NaN", NumberStyles.Float, CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
