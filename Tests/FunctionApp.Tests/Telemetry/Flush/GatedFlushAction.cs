using System.Collections.Concurrent;

namespace FunctionApp.Tests.Telemetry.Flush;

/// <summary>A flush action that blocks until the test lets it proceed, one call at a time.</summary>
internal sealed class GatedFlushAction : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _entered = new(0);
    private readonly SemaphoreSlim _proceed = new(0);
    private int _calls;
    private int _completed;

    public int Calls => Volatile.Read(ref _calls);

    public int Completed => Volatile.Read(ref _completed);

    public ConcurrentQueue<int> Timeouts { get; } = new();

    public bool Invoke(int timeoutMilliseconds)
    {
        Timeouts.Enqueue(timeoutMilliseconds);
        Interlocked.Increment(ref _calls);
        _entered.Release();
        _proceed.Wait(Patience);
        Interlocked.Increment(ref _completed);
        return true;
    }

    /// <summary>Waits until one more call has entered the action.</summary>
    public Task<bool> WaitEnteredAsync() => _entered.WaitAsync(Patience);

    /// <summary>Lets one blocked (or future) call return.</summary>
    public void Proceed() => _proceed.Release();

    /// <summary>Lets every call through from now on, so no thread stays blocked after a test.</summary>
    public void Dispose() => _proceed.Release(10_000);
}
