using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FunctionApp.Gateway.Backends;
using FunctionApp.Gateway.Configuration;

namespace FunctionApp.Gateway.Proxy;

/// <summary>
/// <c>proxy.sequential</c>: backends are called one after the other under the merge deadline, and a backend's
/// <c>url_pattern</c> may use fields of earlier responses (<c>{resp0_id}</c>, <c>{resp1_user.id}</c>). If the first
/// backend fails the request fails; if a later one fails or is incomplete, the chain stops with a partial response.
/// </summary>
internal static class SequentialMiddleware
{
    public static ProxyDelegate Create(IReadOnlyList<ProxyDelegate> backends, IReadOnlyList<BackendModel> models, TimeSpan endpointTimeout, TimeProvider timeProvider)
    {
        var deadline = endpointTimeout * MergeMiddleware.DeadlineFraction;

        // Which earlier-response fields each backend needs, decided once.
        var referencesTo = new List<SequentialReference>[backends.Count];
        for (var i = 0; i < backends.Count; i++)
        {
            referencesTo[i] = [];
        }

        foreach (var model in models)
        {
            foreach (var reference in model.UrlPattern.SequentialReferences)
            {
                // Indexes count the regular backends only (shadow ones are not in the chain), as in KrakenD; a
                // reference past the chain is never filled and its backend is not called.
                if (reference.Backend < referencesTo.Length)
                {
                    referencesTo[reference.Backend].Add(reference);
                }
            }
        }

        return async (request, cancellationToken) =>
        {
            var copies = await RequestBody.PrepareCopiesAsync(request, cancellationToken).ConfigureAwait(false);
            if (copies is null)
            {
                return RequestBody.TooLarge();
            }

            using var chain = new Deadline(deadline, timeProvider, cancellationToken);
            var parameters = new Dictionary<string, string>(request.Params, StringComparer.Ordinal);
            JsonObject? merged = null;
            var complete = true;
            for (var i = 0; i < backends.Count; i++)
            {
                var call = copies() with { Params = parameters };
                using var result = await backends[i](call, chain.Token).ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested)
                {
                    return ProxyResponse.Failed(new GatewayError(GatewayErrorKind.ClientCanceled, "context canceled"));
                }

                var error = result.Error is { Kind: GatewayErrorKind.ClientCanceled } ? MergeMiddleware.DeadlineExceeded : result.Error;
                if (result.Data is null)
                {
                    error ??= new GatewayError(GatewayErrorKind.Decode, "no data from backend");
                    return merged is null ? ProxyResponse.Failed(error) : ProxyResponse.Partial(merged, error);
                }

                foreach (var reference in referencesTo[i])
                {
                    if (Lookup(result.Data, reference.Path) is { } value)
                    {
                        parameters[reference.Placeholder] = value;
                    }
                }

                merged ??= new JsonObject();
                MergeMiddleware.MoveProperties(result.Data, merged);
                if (error is not null)
                {
                    return ProxyResponse.Partial(merged, error);
                }

                if (!result.IsComplete)
                {
                    complete = false;
                    break;
                }
            }

            return ProxyResponse.FromData(merged!, complete);
        };
    }

    /// <summary>A field of a response as text for a URL: strings as they are, numbers as written, arrays comma-joined.</summary>
    internal static string? Lookup(JsonObject data, string[] path)
    {
        JsonNode? node = data;
        foreach (var segment in path)
        {
            node = node is JsonObject obj && obj.TryGetPropertyValue(segment, out var child) ? child : null;
            if (node is null)
            {
                return null;
            }
        }

        return Format(node);
    }

    private static string? Format(JsonNode node)
    {
        switch (node)
        {
            case JsonArray array:
                var joined = new StringBuilder();
                foreach (var item in array)
                {
                    if (item is not null && Format(item) is { } text)
                    {
                        if (joined.Length > 0)
                        {
                            joined.Append(',');
                        }

                        joined.Append(text);
                    }
                }

                return joined.ToString();
            case JsonValue value:
                var element = value.GetValueKind();
                return element switch
                {
                    JsonValueKind.String => value.GetValue<string>(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    JsonValueKind.Number => value.ToJsonString(),
                    _ => null,
                };
            default:
                return null;
        }
    }
}
