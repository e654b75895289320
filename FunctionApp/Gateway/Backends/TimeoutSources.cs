namespace FunctionApp.Gateway.Backends;

/// <summary>
/// Cancellation sources for backend timeouts, as Polly's timeout strategy keeps them: on the system clock they are
/// pooled (a source that did not fire is reset with <see cref="CancellationTokenSource.TryReset"/> and reused, its
/// timer with it); on any other <see cref="TimeProvider"/> each call gets its own source on that clock.
/// </summary>
internal static class TimeoutSources
{
    private static readonly CancellationTokenSource?[] Pool = new CancellationTokenSource?[Math.Max(4, Environment.ProcessorCount * 4)];

    /// <summary>A source that cancels after <paramref name="timeout"/> on <paramref name="clock"/>.</summary>
    public static CancellationTokenSource Rent(TimeSpan timeout, TimeProvider clock)
    {
        if (clock != TimeProvider.System)
        {
            return new CancellationTokenSource(timeout, clock);
        }

        CancellationTokenSource? source = null;
        for (var i = 0; i < Pool.Length && source is null; i++)
        {
            source = Interlocked.Exchange(ref Pool[i], null);
        }

        source ??= new CancellationTokenSource();
        source.CancelAfter(timeout);
        return source;
    }

    /// <summary>Gives a source back once nothing uses its token any more (its registrations are disposed).</summary>
    public static void Return(CancellationTokenSource source, TimeProvider clock)
    {
        if (clock != TimeProvider.System || !source.TryReset())
        {
            source.Dispose();
            return;
        }

        for (var i = 0; i < Pool.Length; i++)
        {
            if (Interlocked.CompareExchange(ref Pool[i], source, null) is null)
            {
                return;
            }
        }

        source.Dispose();
    }
}
