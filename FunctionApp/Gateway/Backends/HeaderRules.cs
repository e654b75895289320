using System.Collections.Frozen;

namespace FunctionApp.Gateway.Backends;

/// <summary>Which headers may cross the gateway, in either direction.</summary>
public static class HeaderRules
{
    /// <summary>
    /// Hop-by-hop headers (RFC 9110 §7.6.1 and the legacy ones), which describe one connection and are never
    /// forwarded. Headers named in a <c>Connection</c> header are hop-by-hop too; see <see cref="IsHopByHop"/>.
    /// </summary>
    public static readonly FrozenSet<string> HopByHop = new[]
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Alt-Svc",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Headers that belong to the Azure Functions host or to the hop from the client, never to a backend:
    /// the function key, the host's invocation headers, and <c>Host</c> itself.
    /// </summary>
    public static readonly FrozenSet<string> NeverForwarded = new[]
    {
        "Host", "x-functions-key", "X-Azure-Functions-InvocationId", "x-ms-invocation-id", "X-Azure-Functions-HostVersion",
        "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Forwarded-Via", "Via",
        "Content-Length",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Query parameters that are function keys and never reach a backend.</summary>
    public const string FunctionKeyQueryParameter = "code";

    /// <summary>Headers that live on <see cref="HttpContent"/> in System.Net.Http rather than on the request.</summary>
    public static readonly FrozenSet<string> ContentHeaders = new[]
    {
        "Allow", "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length", "Content-Location",
        "Content-MD5", "Content-Range", "Content-Type", "Expires", "Last-Modified",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>True for hop-by-hop headers, including any listed in the message's <c>Connection</c> header.</summary>
    public static bool IsHopByHop(string name, string? connectionHeader)
    {
        if (HopByHop.Contains(name))
        {
            return true;
        }

        if (string.IsNullOrEmpty(connectionHeader))
        {
            return false;
        }

        foreach (var range in connectionHeader.AsSpan().Split(','))
        {
            if (connectionHeader.AsSpan()[range].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>CR or LF in a value would let it smuggle extra headers; such values are dropped.</summary>
    public static bool IsSafeValue(string? value) => value is null || value.AsSpan().IndexOfAny('\r', '\n') < 0;
}
