using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Bench.Companion;

/// <summary>
/// CPU time of this process in nanoseconds (<c>clock_gettime(CLOCK_PROCESS_CPUTIME_ID)</c> on Linux, precise to the
/// scheduler's accounting; elsewhere <see cref="Process.TotalProcessorTime"/>). On cores shared with other work, CPU
/// time per operation is what the operation would take on a core of its own; wall time is what a caller waited.
/// </summary>
internal static partial class CpuClock
{
    private const int ProcessCpuTimeClock = 2;

    public static long Nanoseconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ProcessCpuTimeClock, out var time) == 0)
        {
            return (time.Seconds * 1_000_000_000) + time.Nanoseconds;
        }

        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.Ticks * 100;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
