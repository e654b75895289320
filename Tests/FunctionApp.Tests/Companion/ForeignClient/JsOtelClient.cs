using System.Diagnostics;
using System.Globalization;
using FunctionApp.Tests.Common;

namespace FunctionApp.Tests.Companion.ForeignClient;

/// <summary>
/// The OpenTelemetry JS metrics SDK as a foreign OTLP client: <c>Tests/js-otel-client/push-metrics.cjs</c> run by
/// <c>node</c>, with the packages <c>test.sh</c> installs (<c>npm ci</c>) into <c>artifacts/js-otel-client</c>. When node
/// or the packages are missing, or the install is older than <c>Tests/js-otel-client/package.json</c>, the tests fail
/// and say to run test.sh.
/// </summary>
internal sealed class JsOtelClient
{
    private const string InstallHint = "run test.sh, or `mkdir -p artifacts/js-otel-client && cp Tests/js-otel-client/package*.json artifacts/js-otel-client/ && npm ci --prefix artifacts/js-otel-client` at the repository root";

    private JsOtelClient(string node, string script, string nodeModules)
    {
        Node = node;
        Script = script;
        NodeModules = nodeModules;
    }

    public string Node { get; }

    public string Script { get; }

    public string NodeModules { get; }

    /// <summary>The client, or an exception naming test.sh when node or the installed packages are missing or stale.</summary>
    public static JsOtelClient Find()
    {
        var node = FindOnPath("node") ?? throw new InvalidOperationException("node not found on PATH: install Node.js (20.6 or later) and " + InstallHint);
        var source = Path.Combine(GatewayProcess.RepositoryRoot, "Tests", "js-otel-client");
        var script = Path.Combine(source, "push-metrics.cjs");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"{script} is missing");
        }

        var installed = Path.Combine(GatewayProcess.RepositoryRoot, "artifacts", "js-otel-client");
        var nodeModules = Path.Combine(installed, "node_modules");
        if (!File.Exists(Path.Combine(nodeModules, "@opentelemetry", "sdk-metrics", "package.json")))
        {
            throw new InvalidOperationException($"the OpenTelemetry JS packages are not installed in {installed}: " + InstallHint);
        }

        foreach (var manifest in new[] { "package.json", "package-lock.json" })
        {
            var copy = Path.Combine(installed, manifest);
            if (!File.Exists(copy) || File.ReadAllText(copy) != File.ReadAllText(Path.Combine(source, manifest)))
            {
                throw new InvalidOperationException($"the packages in {installed} are not those of Tests/js-otel-client/{manifest}: " + InstallHint);
            }
        }

        return new JsOtelClient(node, script, nodeModules);
    }

    /// <summary>
    /// Runs the script against <paramref name="ingestUrl"/> as instance <paramref name="instanceId"/>: it records the
    /// fixed scenario times <paramref name="factor"/>, pushes after each of its two phases and exits 0 when every export
    /// succeeded. Throws with the script's output otherwise.
    /// </summary>
    public async Task<string> PushAsync(string ingestUrl, string instanceId, int factor, string temporality)
    {
        var start = new ProcessStartInfo(Node)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Script)!,
        };
        foreach (var argument in new[] { Script, ingestUrl, instanceId, factor.ToString(CultureInfo.InvariantCulture), temporality })
        {
            start.ArgumentList.Add(argument);
        }

        // Only the arguments configure the SDK: no OTEL_* setting of whoever runs the tests leaks in.
        foreach (var name in start.Environment.Keys.Where(static k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["NODE_PATH"] = NodeModules;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"push-metrics.cjs ({instanceId}) did not exit within 60 s");
        }

        var output = await stdout + await stderr;
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"push-metrics.cjs ({instanceId}) exited with {process.ExitCode}:\n{output}");
    }

    private static string? FindOnPath(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
