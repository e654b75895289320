namespace FunctionApp.Gateway.Proxy;

/// <summary>
/// A cancellation scope that ends when the caller cancels or when <c>after</c> has elapsed on the injected clock,
/// whichever comes first (the merge, sequential and concurrent-call deadlines).
/// </summary>
internal sealed class Deadline : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationTokenRegistration _caller;

    public Deadline(TimeSpan after, TimeProvider timeProvider, CancellationToken caller)
    {
        _source = new CancellationTokenSource(after, timeProvider);
        _caller = caller.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _source);
    }

    public CancellationToken Token => _source.Token;

    public Task CancelAsync() => _source.CancelAsync();

    public void Dispose()
    {
        _caller.Dispose();
        _source.Dispose();
    }
}
