using System.Diagnostics;

namespace FunctionApp.Tests.Telemetry.Prometheus;

/// <summary>Prometheus's <c>promtool</c> (Debian package <c>prometheus</c>; test.sh installs it).</summary>
internal static class Promtool
{
    public static string? Path { get; } = Find();

    /// <summary>Pipes <paramref name="exposition"/> into <c>promtool check metrics</c>: the exit code and everything it printed.</summary>
    public static (int ExitCode, string Output) CheckMetrics(string exposition)
    {
        var start = new ProcessStartInfo(Path ?? throw new InvalidOperationException("promtool is not on PATH"), "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(exposition);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            return (-1, "promtool timed out");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => System.IO.Path.Combine(directory, "promtool"))
            .FirstOrDefault(File.Exists);
}

/// <summary>A fact that is skipped, with the reason, when <c>promtool</c> is not on PATH.</summary>
internal sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute()
    {
        if (Promtool.Path is null)
        {
            Skip = "promtool is not on PATH (test.sh installs Debian's prometheus package, which ships it)";
        }
    }
}
