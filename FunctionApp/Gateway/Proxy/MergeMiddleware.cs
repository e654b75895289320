using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using FunctionApp.Gateway.Encoding;

namespace FunctionApp.Gateway.Proxy;

/// <summary>
/// Calls every backend of an endpoint at once and shallow-merges their objects (Lura's <c>proxy/merging.go</c>).
/// The merge runs under 85 % of the endpoint timeout, so a slow backend becomes a partial failure (200,
/// <c>X-Krakend-Completed: false</c>) rather than failing the whole request; only when every backend fails is
/// the result an error (500).
/// </summary>
internal static class MergeMiddleware
{
    public const double DeadlineFraction = 0.85;

    public static ProxyDelegate Parallel(IReadOnlyList<ProxyDelegate> backends, TimeSpan endpointTimeout, TimeProvider timeProvider) =>
        new ParallelMerge([.. backends], endpointTimeout * DeadlineFraction, timeProvider).InvokeAsync;

    private sealed class ParallelMerge(ProxyDelegate[] backends, TimeSpan deadline, TimeProvider timeProvider)
    {
        /// <summary>Pooled state machine: every request of the endpoint comes through here.</summary>
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public async ValueTask<ProxyResponse> InvokeAsync(ProxyRequest request, CancellationToken cancellationToken)
        {
            // Without a body every call can share the request; with one, each gets its own copy.
            Func<ProxyRequest>? copies = null;
            if (request.Body is not null)
            {
                copies = await RequestBody.PrepareCopiesAsync(request, cancellationToken).ConfigureAwait(false);
                if (copies is null)
                {
                    return RequestBody.TooLarge();
                }
            }

            using var merge = new Deadline(deadline, timeProvider, cancellationToken);
            var calls = new Task<ProxyResponse>[backends.Length];
            for (var i = 0; i < backends.Length; i++)
            {
                calls[i] = backends[i](copies is null ? request : copies(), merge.Token).AsTask();
            }

            var results = await Task.WhenAll(calls).ConfigureAwait(false);
            return Merge(results, cancellationToken);
        }
    }

    /// <summary>
    /// Merges in backend order, so on a key collision the later backend in the config wins (KrakenD lets the later
    /// <em>arrival</em> win, which is not deterministic).
    /// </summary>
    internal static ProxyResponse Merge(ProxyResponse[] results, CancellationToken clientToken)
    {
        if (clientToken.IsCancellationRequested)
        {
            DisposeAll(results);
            return ProxyResponse.Failed(new GatewayError(GatewayErrorKind.ClientCanceled, "context canceled"));
        }

        if (AllDataParsed(results))
        {
            return MergeParsed(results);
        }

        JsonObject? merged = null;
        var complete = true;
        List<GatewayError>? errors = null;
        for (var i = 0; i < results.Length; i++)
        {
            using var result = results[i];
            if (result.Error is { } error)
            {
                (errors ??= []).Add(error.Kind == GatewayErrorKind.ClientCanceled ? DeadlineExceeded : error);
                complete = false;
            }

            if (result.Data is { } data)
            {
                merged ??= new JsonObject();
                MoveProperties(data, merged);
                complete &= result.IsComplete;
            }
        }

        if (merged is null)
        {
            return ProxyResponse.Failed(errors is null ? DeadlineExceeded : GatewayError.Combine(errors));
        }

        return errors is null ? ProxyResponse.FromData(merged, complete) : ProxyResponse.Partial(merged, GatewayError.Combine(errors));
    }

    /// <summary>True when some result has data and every result that has data still holds it as parsed JSON.</summary>
    private static bool AllDataParsed(ProxyResponse[] results)
    {
        var any = false;
        foreach (var result in results)
        {
            if (result.HasData)
            {
                if (result.Parsed is null)
                {
                    return false;
                }

                any = true;
            }
        }

        return any;
    }

    /// <summary>
    /// <see cref="Merge"/> for answers still held as parsed JSON: the same outcome, with the objects combined in the
    /// same backend order (a later one wins a name), built into a <see cref="JsonObject"/> only if someone reads it.
    /// </summary>
    private static ProxyResponse MergeParsed(ProxyResponse[] results)
    {
        var parts = new List<ParsedJsonObject>(results.Length);
        var complete = true;
        List<GatewayError>? errors = null;
        for (var i = 0; i < results.Length; i++)
        {
            using var result = results[i];
            if (result.Error is { } error)
            {
                (errors ??= []).Add(error.Kind == GatewayErrorKind.ClientCanceled ? DeadlineExceeded : error);
                complete = false;
            }

            if (result.TakeParsed() is { } parsed)
            {
                parts.Add(parsed);
                complete &= result.IsComplete;
            }
        }

        var merged = ParsedJsonObject.Combine(parts);
        return errors is null ? ProxyResponse.FromParsed(merged, complete) : ProxyResponse.Partial(merged, GatewayError.Combine(errors));
    }

    /// <summary>The merge deadline cancelled a backend call: for the client that is a timeout, not a cancellation.</summary>
    internal static readonly GatewayError DeadlineExceeded = new(GatewayErrorKind.Timeout, "context deadline exceeded");

    internal static void MoveProperties(JsonObject from, JsonObject to)
    {
        if (from.Count == 0)
        {
            return;
        }

        var properties = new KeyValuePair<string, JsonNode?>[from.Count];
        var i = 0;
        foreach (var property in from)
        {
            properties[i++] = property;
        }

        from.Clear();
        foreach (var (key, value) in properties)
        {
            to[key] = value;
        }
    }

    private static void DisposeAll(ProxyResponse[] results)
    {
        foreach (var result in results)
        {
            result.Dispose();
        }
    }
}
