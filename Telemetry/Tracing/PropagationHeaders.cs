using Microsoft.AspNetCore.Http;

namespace Telemetry.Tracing;

/// <summary>
/// Getter and setter delegates for <see cref="OpenTelemetry.Context.Propagation.TextMapPropagator"/> over the two
/// carriers the gateway uses: the incoming ASP.NET Core request headers and the outgoing backend
/// <see cref="HttpRequestMessage"/>. Static, so hot paths allocate no closure.
/// </summary>
public static class PropagationHeaders
{
    /// <summary>Reads an incoming header; null when absent.</summary>
    public static readonly Func<IHeaderDictionary, string, IEnumerable<string>?> HeaderDictionaryGetter =
        static (headers, name) => headers.TryGetValue(name, out var values) && values.Count > 0 ? (IEnumerable<string>)values! : null;

    /// <summary>Sets (replaces) a header.</summary>
    public static readonly Action<IHeaderDictionary, string, string> HeaderDictionarySetter =
        static (headers, name, value) => headers[name] = value;

    /// <summary>Reads a request header of an <see cref="HttpRequestMessage"/>; null when absent.</summary>
    public static readonly Func<HttpRequestMessage, string, IEnumerable<string>?> RequestMessageGetter =
        static (request, name) => request.Headers.TryGetValues(name, out var values) ? values : null;

    /// <summary>Sets (replaces) a request header of an <see cref="HttpRequestMessage"/>, without value validation.</summary>
    public static readonly Action<HttpRequestMessage, string, string> RequestMessageSetter =
        static (request, name, value) =>
        {
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        };

    /// <summary>The first value the getter returns for <paramref name="name"/>, as Go's <c>TextMapCarrier.Get</c> does.</summary>
    internal static string? First<T>(T carrier, string name, Func<T, string, IEnumerable<string>?> getter)
    {
        if (getter(carrier, name) is not { } values)
        {
            return null;
        }

        foreach (var value in values)
        {
            return value;
        }

        return null;
    }

    /// <summary>
    /// Every header whose name starts with <paramref name="prefix"/> (case-insensitive), name without the prefix and
    /// lower-cased, with its first value. A getter can only look names up, so this works on the carriers it knows:
    /// <see cref="IHeaderDictionary"/>, <see cref="HttpRequestMessage"/>, <see cref="System.Net.Http.Headers.HttpHeaders"/>
    /// and string pairs. Any other carrier yields nothing.
    /// </summary>
    internal static List<KeyValuePair<string, string>>? FindByPrefix<T>(T carrier, string prefix)
    {
        List<KeyValuePair<string, string>>? found = null;
        void Add(string name, string? value)
        {
            if (value is not null && name.Length > prefix.Length && name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                (found ??= []).Add(new(name[prefix.Length..].ToLowerInvariant(), value));
            }
        }

        switch (carrier)
        {
            case IHeaderDictionary headers:
                foreach (var (name, values) in headers)
                {
                    Add(name, values.Count > 0 ? values[0] : null);
                }

                break;
            case HttpRequestMessage request:
                foreach (var (name, values) in request.Headers)
                {
                    Add(name, values.FirstOrDefault());
                }

                break;
            case IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers:
                foreach (var (name, values) in headers)
                {
                    Add(name, values.FirstOrDefault());
                }

                break;
            case IEnumerable<KeyValuePair<string, string>> pairs:
                foreach (var (name, value) in pairs)
                {
                    Add(name, value);
                }

                break;
        }

        return found;
    }
}
