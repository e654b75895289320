using System.Diagnostics;
using System.Globalization;
using System.IO.Enumeration;

namespace Telemetry.Prometheus;

/// <summary>
/// The families of Go's Prometheus process collector (KrakenD's <c>process_metrics</c>), with its names and help
/// texts. On Linux they are read from <c>/proc</c> as Go's <c>procfs</c> does (clock ticks at 100 Hz, the soft
/// limits of <c>/proc/self/limits</c>, <c>unlimited</c> as 2^64-1); elsewhere, best effort from
/// <see cref="Process"/>. A value that cannot be read is left out rather than failing the scrape.
/// </summary>
public static class ProcessMetrics
{
    private const double UserHz = 100;
    private const double Unlimited = ulong.MaxValue;

    private static readonly Lazy<double?> BootTime = new(ReadBootTime);

    /// <summary>Every entry, as <see cref="Directory.EnumerateFileSystemEntries(string)"/> lists them.</summary>
    private static readonly EnumerationOptions CountOnly = new() { AttributesToSkip = 0, RecurseSubdirectories = false, IgnoreInaccessible = false };

    public static List<MetricFamily> Collect()
    {
        var families = new List<MetricFamily>();
        if (OperatingSystem.IsLinux() && TryCollectProc(families))
        {
            return families;
        }

        families.Clear();
        CollectPortable(families);
        return families;
    }

    private static bool TryCollectProc(List<MetricFamily> families)
    {
        string stat;
        try
        {
            stat = File.ReadAllText("/proc/self/stat");
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }

        // The command name may contain spaces and parentheses: the fields start after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 22)
        {
            return false;
        }

        // Field numbers of proc(5) minus 3: utime 14, stime 15, starttime 22, vsize 23, rss 24.
        var utime = ParseDouble(fields[11]);
        var stime = ParseDouble(fields[12]);
        var startTicks = ParseDouble(fields[19]);
        var virtualBytes = ParseDouble(fields[20]);
        var residentPages = ParseDouble(fields[21]);

        families.Add(Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", (utime + stime) / UserHz));
        if (CountOpenFds() is { } openFds)
        {
            families.Add(Gauge("process_open_fds", "Number of open file descriptors.", openFds));
        }

        var limits = ReadSoftLimits();
        if (limits.TryGetValue("Max open files", out var maxFds))
        {
            families.Add(Gauge("process_max_fds", "Maximum number of open file descriptors.", maxFds));
        }

        families.Add(Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", virtualBytes));
        if (limits.TryGetValue("Max address space", out var maxVirtual))
        {
            families.Add(Gauge("process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.", maxVirtual));
        }

        families.Add(Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", residentPages * Environment.SystemPageSize));
        if (BootTime.Value is { } bootTime)
        {
            families.Add(Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", bootTime + (startTicks / UserHz)));
        }

        return true;
    }

    private static void CollectPortable(List<MetricFamily> families)
    {
        try
        {
            using var process = Process.GetCurrentProcess();
            families.Add(Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", process.TotalProcessorTime.TotalSeconds));
            families.Add(Gauge("process_open_fds", "Number of open file descriptors.", process.HandleCount));
            families.Add(Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", process.VirtualMemorySize64));
            families.Add(Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", process.WorkingSet64));
            var start = new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
            families.Add(Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", start.ToUnixTimeMilliseconds() / 1000.0));
        }
        catch (Exception exception) when (exception is InvalidOperationException or NotSupportedException or PlatformNotSupportedException or System.ComponentModel.Win32Exception)
        {
            // Best effort: whatever was added before the failure stays.
        }
    }

    private static int? CountOpenFds()
    {
        try
        {
            // /proc/self/fdinfo has one entry per open descriptor, like /proc/self/fd, but as regular files: counting
            // them needs no stat of each entry (a symlink in fd/), a tenth of the cost.
            var count = 0;
            foreach (var _ in new FileSystemEnumerable<byte>("/proc/self/fdinfo", static (ref FileSystemEntry _) => 0, CountOnly))
            {
                count++;
            }

            return count;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // No fdinfo (an unusual /proc): list fd/ instead.
        }

        try
        {
            return Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The soft limits of <c>/proc/self/limits</c> by name (the name column is 26 characters wide).</summary>
    private static Dictionary<string, double> ReadSoftLimits()
    {
        var limits = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits").Skip(1))
            {
                if (line.Length <= 26)
                {
                    continue;
                }

                var soft = line[26..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
                if (soft is null)
                {
                    continue;
                }

                var value = soft == "unlimited" ? Unlimited : ParseDouble(soft);
                limits[line[..26].TrimEnd()] = value;
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Left out.
        }

        return limits;
    }

    private static double? ReadBootTime()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/stat"))
            {
                if (line.StartsWith("btime ", StringComparison.Ordinal))
                {
                    return ParseDouble(line[6..].Trim());
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Left out.
        }

        return null;
    }

    private static double ParseDouble(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : 0;

    private static MetricFamily Counter(string name, string help, double value) => Single(name, MetricFamilyType.Counter, help, value);

    private static MetricFamily Gauge(string name, string help, double value) => Single(name, MetricFamilyType.Gauge, help, value);

    private static MetricFamily Single(string name, MetricFamilyType type, string help, double value)
    {
        var family = new MetricFamily(name, type, help);
        family.Series.Add(MetricSeries.Sample([], value));
        return family;
    }
}
