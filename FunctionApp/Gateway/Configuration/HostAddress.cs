using System.Text.RegularExpressions;

namespace FunctionApp.Gateway.Configuration;

/// <summary>
/// Sanitises backend <c>host</c> entries as KrakenD does: an optional <c>http://</c> or <c>https://</c> scheme
/// (http is added when missing), a host name or IP (IPv6 in brackets), an optional port, and no path.
/// A trailing <c>/</c> is dropped. The result is the base URL the url_pattern is appended to.
/// </summary>
public static partial class HostAddress
{
    [GeneratedRegex(@"^(?<scheme>https?://)?(?<host>[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?<port>:[0-9]{1,5})?/?$", RegexOptions.CultureInvariant)]
    private static partial Regex SanitizedHost();

    public static bool TryParse(string value, bool disableSanitize, out string baseUrl, out string? error)
    {
        baseUrl = string.Empty;
        error = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            error = "must not be empty";
            return false;
        }

        if (disableSanitize)
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var verbatim) || (verbatim.Scheme != Uri.UriSchemeHttp && verbatim.Scheme != Uri.UriSchemeHttps))
            {
                error = $"\"{value}\" is not an absolute http:// or https:// URL";
                return false;
            }

            baseUrl = value.TrimEnd('/');
            return true;
        }

        var match = SanitizedHost().Match(value);
        if (!match.Success)
        {
            error = $"\"{value}\" is not a valid host: expected [http[s]://]name-or-ip[:port] with no path";
            return false;
        }

        var port = match.Groups["port"].Value;
        if (port.Length > 0 && (!int.TryParse(port.AsSpan(1), out var portNumber) || portNumber is < 1 or > 65535))
        {
            error = $"\"{value}\" has an invalid port";
            return false;
        }

        var scheme = match.Groups["scheme"].Success ? match.Groups["scheme"].Value.ToLowerInvariant() : "http://";
        baseUrl = scheme + match.Groups["host"].Value + port;
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out _))
        {
            error = $"\"{value}\" is not a valid host";
            return false;
        }

        return true;
    }
}
