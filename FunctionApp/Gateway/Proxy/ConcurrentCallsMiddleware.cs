namespace FunctionApp.Gateway.Proxy;

/// <summary>
/// <c>concurrent_calls</c>: sends N identical calls to a backend and keeps the first good answer, cancelling the
/// rest (Lura's <c>proxy/concurrent.go</c>). The calls run under 75 % of the endpoint timeout.
/// </summary>
internal static class ConcurrentCallsMiddleware
{
    public const double DeadlineFraction = 0.75;

    public static ProxyDelegate Create(ProxyDelegate backend, int calls, TimeSpan endpointTimeout, TimeProvider timeProvider)
    {
        var deadline = endpointTimeout * DeadlineFraction;
        return async (request, cancellationToken) =>
        {
            var copies = await RequestBody.PrepareCopiesAsync(request, cancellationToken).ConfigureAwait(false);
            if (copies is null)
            {
                return RequestBody.TooLarge();
            }

            using var race = new Deadline(deadline, timeProvider, cancellationToken);
            var pending = new List<Task<ProxyResponse>>(calls);
            for (var i = 0; i < calls; i++)
            {
                pending.Add(backend(copies(), race.Token).AsTask());
            }

            ProxyResponse? last = null;
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending).ConfigureAwait(false);
                pending.Remove(done);
                var result = await done.ConfigureAwait(false);
                if (result.Error is null && result.IsComplete)
                {
                    last?.Dispose();
                    await race.CancelAsync().ConfigureAwait(false);
                    DisposeWhenDone(pending);
                    return result;
                }

                last?.Dispose();
                last = result;
            }

            if (last?.Error is { Kind: GatewayErrorKind.ClientCanceled } && !cancellationToken.IsCancellationRequested)
            {
                last.Dispose();
                return ProxyResponse.Failed(MergeMiddleware.DeadlineExceeded);
            }

            return last!;
        };
    }

    private static void DisposeWhenDone(List<Task<ProxyResponse>> losers)
    {
        foreach (var loser in losers)
        {
            _ = loser.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }
}
