// Cold start, measured the way a user feels it: from starting the process to the first successful response.
//
//   BenchColdStart RUNS URL -- COMMAND [ARGS...]
//
// Starts COMMAND (environment inherited) RUNS times, one at a time. Each run polls URL from the moment the process is
// started (a refused connection is retried after about a millisecond; a non-2xx answer counts as not ready), stops the clock at the
// first 2xx, then stops the process (SIGTERM, SIGKILL after 10 s) and waits until the port is free again. Prints one
// line: "median_ms p90_ms min_ms max_ms rss_mb" where rss_mb is the resident set right after the first response.

using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

if (args.Length < 4 || args[2] != "--" || !int.TryParse(args[0], CultureInfo.InvariantCulture, out var runs) || runs < 1)
{
    Console.Error.WriteLine("usage: BenchColdStart RUNS URL -- COMMAND [ARGS...]");
    return 2;
}

var url = new Uri(args[1]);
var command = args[3];
var commandArgs = args[4..];
var times = new List<double>();
var rss = new List<double>();
using var client = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(1), PooledConnectionLifetime = TimeSpan.Zero })
{
    Timeout = TimeSpan.FromSeconds(5),
};

for (var run = 0; run < runs; run++)
{
    await WaitForFreePortAsync(url.Port);
    var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var arg in commandArgs)
    {
        start.ArgumentList.Add(arg);
    }

    var clock = Stopwatch.StartNew();
    using var process = Process.Start(start)!;
    process.OutputDataReceived += static (_, _) => { };
    process.ErrorDataReceived += static (_, _) => { };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    var ready = false;
    while (clock.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited)
    {
        try
        {
            using var response = await client.GetAsync(url);
            if (response.IsSuccessStatusCode)
            {
                ready = true;
                break;
            }
        }
        catch (HttpRequestException)
        {
            // Not listening yet. A short pause keeps the poller from taking a core from the process it waits for.
        }

        await Task.Delay(1);
    }

    var elapsed = clock.Elapsed.TotalMilliseconds;
    if (!ready)
    {
        Console.Error.WriteLine($"run {run + 1}: no successful response from {url} (exited: {process.HasExited})");
        Stop(process);
        return 1;
    }

    times.Add(elapsed);
    rss.Add(ResidentMegabytes(process.Id));
    Stop(process);
}

times.Sort();
rss.Sort();
double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Median(times):F1} {Percentile(times, 0.9):F1} {times[0]:F1} {times[^1]:F1} {Median(rss):F1}"));
return 0;

static double Median(List<double> sorted) => sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;

static double ResidentMegabytes(int pid)
{
    try
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
            }
        }
    }
    catch (IOException)
    {
    }

    return double.NaN;
}

static void Stop(Process process)
{
    if (process.HasExited)
    {
        return;
    }

    Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
    if (!process.WaitForExit(10_000))
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }
}

static async Task WaitForFreePortAsync(int port)
{
    for (var i = 0; i < 200; i++)
    {
        using var probe = new TcpClient();
        try
        {
            await probe.ConnectAsync("127.0.0.1", port);
        }
        catch (SocketException)
        {
            return;
        }

        await Task.Delay(50);
    }
}
