using System.Text.Json.Nodes;
using FunctionApp.Gateway.Configuration;

namespace FunctionApp.Gateway.Proxy;

/// <summary>
/// <c>proxy.static</c>: adds fixed data to the response when the strategy matches (Lura's <c>proxy/static.go</c>).
/// The static keys overwrite the backends' ones; the completeness flag is left as it was, so static data added
/// after an error gives 200 with <c>X-Krakend-Completed: false</c>.
/// </summary>
internal static class StaticMiddleware
{
    public static ProxyDelegate Create(ProxyDelegate next, StaticResponseOptions options) =>
        async (request, cancellationToken) =>
        {
            var response = await next(request, cancellationToken).ConfigureAwait(false);
            if (response.Upstream is not null || response.Error is { Kind: GatewayErrorKind.ClientCanceled } || !Matches(options.Strategy, response))
            {
                return response;
            }

            var data = response.Data ?? new JsonObject();
            foreach (var (key, value) in options.Data)
            {
                data[key] = value?.DeepClone();
            }

            var result = response.Error is { } error ? ProxyResponse.Partial(data, error) : ProxyResponse.FromData(data, response.IsComplete);
            response.Dispose();
            return result;
        };

    private static bool Matches(StaticStrategy strategy, ProxyResponse response) => strategy switch
    {
        StaticStrategy.Always => true,
        StaticStrategy.Success => response.Error is null,
        StaticStrategy.Errored => response.Error is not null,
        StaticStrategy.Complete => response.Error is null && response.IsComplete,
        StaticStrategy.Incomplete => response.Error is not null || !response.IsComplete,
        _ => false,
    };
}
