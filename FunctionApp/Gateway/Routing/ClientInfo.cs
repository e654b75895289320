using System.Net;
using System.Runtime.CompilerServices;

namespace FunctionApp.Gateway.Routing;

/// <summary>
/// Who called and which host they called. <c>X-Forwarded-For</c> and <c>X-Forwarded-Host</c> are believed only
/// when the connection comes from loopback, i.e. from the Azure Functions host (or a local proxy); a remote
/// client cannot forge its address this way.
/// </summary>
public readonly record struct ClientInfo(string Address, string Host)
{
    /// <summary>
    /// The text of each connection's remote address: Kestrel hands every request of a connection the same
    /// <see cref="IPAddress"/> instance, so it is formatted once per connection rather than once per request (and per layer).
    /// </summary>
    private static readonly ConditionalWeakTable<IPAddress, string> AddressTexts = [];

    public static ClientInfo From(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        string? address = null;
        var host = context.Request.Host.Value ?? string.Empty;
        if (remote is not null && IPAddress.IsLoopback(remote))
        {
            var headers = context.Request.Headers;
            var forwardedFor = LastValue(headers["X-Forwarded-For"].ToString());
            if (forwardedFor.Length > 0)
            {
                address = forwardedFor;
            }

            var forwardedHost = LastValue(headers["X-Forwarded-Host"].ToString());
            if (forwardedHost.Length > 0)
            {
                host = forwardedHost;
            }
        }

        address ??= remote is null ? string.Empty : AddressText(remote);
        return new ClientInfo(address, host);
    }

    private static string AddressText(IPAddress remote) =>
        AddressTexts.TryGetValue(remote, out var text)
            ? text
            : AddressTexts.GetValue(remote, static address => (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString());

    /// <summary>
    /// The scheme the client used: the request's own, or <c>X-Forwarded-Proto</c> when the connection comes from
    /// loopback (the Functions host terminates TLS and forwards over http).
    /// </summary>
    public static string Scheme(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (remote is not null && IPAddress.IsLoopback(remote))
        {
            var forwarded = LastValue(context.Request.Headers["X-Forwarded-Proto"].ToString());
            if (forwarded.Equals("https", StringComparison.OrdinalIgnoreCase))
            {
                return "https";
            }

            if (forwarded.Equals("http", StringComparison.OrdinalIgnoreCase))
            {
                return "http";
            }
        }

        return context.Request.Scheme;
    }

    /// <summary>The nearest hop: the last entry of a comma-separated list, without an IPv6 port suffix.</summary>
    private static string LastValue(string list)
    {
        if (list.Length == 0)
        {
            return list;
        }

        var comma = list.LastIndexOf(',');
        var value = (comma < 0 ? list : list[(comma + 1)..]).Trim();
        return value.Length > 0 && value.AsSpan().IndexOfAny('\r', '\n') < 0 ? value : string.Empty;
    }
}
