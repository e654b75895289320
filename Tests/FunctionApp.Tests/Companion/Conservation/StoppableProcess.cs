using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using FunctionApp.Tests.Common;

namespace FunctionApp.Tests.Companion.Conservation;

/// <summary>
/// A real FunctionApp process (the binary built next to the tests) that can end the two ways a host ends it: gracefully
/// (<c>SIGTERM</c>, as the Functions host or a scale-in does; the gateway makes its last push, the companion writes its
/// shard) or hard (<c>SIGKILL</c>, a crash; nothing runs). Output is captured for failure messages.
/// </summary>
internal sealed class StoppableProcess : IAsyncDisposable
{
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private StoppableProcess(Process process)
    {
        _process = process;
    }

    public string Name { get; private init; } = "";

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

    public bool HasExited => _process.HasExited;

    public static StoppableProcess Start(string name, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(GatewayProcess.BuiltBinary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // The child must not inherit a Functions port, config or companion from whoever runs the tests.
        foreach (var inherited in new[] { "FUNCTIONS_CUSTOMHANDLER_PORT", "GATEWAY_CONFIG", "GATEWAY_ROLE", "METRICS_COMPANION_URL", "METRICS_COMPANION_KEY", "AzureWebJobsStorage", "COMPANION_INSTANCE_ID" })
        {
            info.Environment.Remove(inherited);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var result = new StoppableProcess(process) { Name = name };
        process.OutputDataReceived += (_, e) => result.Append(e.Data);
        process.ErrorDataReceived += (_, e) => result.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Polls <paramref name="path"/> until it answers (any status).</summary>
    public async Task WaitUntilServingAsync(HttpClient client, string path, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await client.GetAsync(path);
                return;
            }
            catch (HttpRequestException) when (deadline.Elapsed < timeout)
            {
                await Task.Delay(50);
            }
            catch (HttpRequestException e)
            {
                throw new TimeoutException($"{Name}: no answer from {path} within {timeout}:\n{Output}", e);
            }
        }
    }

    /// <summary>Graceful stop: <c>SIGTERM</c>, then waits for a clean exit (code 0).</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"{Name} had already exited with code {_process.ExitCode}:\n{Output}");
        }

        if (Kill(_process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"{Name}: kill(SIGTERM) failed with errno {Marshal.GetLastPInvokeError()}");
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not stop within {timeout} of SIGTERM:\n{Output}");
        }

        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Name} stopped with code {_process.ExitCode}:\n{Output}");
        }
    }

    /// <summary>Hard stop: <c>SIGKILL</c> (nothing in the process runs), then waits for the exit.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _process.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
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

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
