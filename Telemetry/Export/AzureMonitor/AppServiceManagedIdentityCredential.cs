using System.Globalization;
using System.Text.Json;
using Azure.Core;

namespace Telemetry.Export.AzureMonitor;

/// <summary>
/// A managed-identity token from the App Service / Azure Functions identity endpoint (<c>IDENTITY_ENDPOINT</c> with
/// the <c>X-IDENTITY-HEADER</c> secret, API version 2019-08-01), for Application Insights with local authentication
/// disabled (<c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD;ClientId=…</c>). Written here rather than
/// taken from Azure.Identity to keep the native AOT build small and warning-free. Tokens are cached until five
/// minutes before they expire.
/// </summary>
internal sealed class AppServiceManagedIdentityCredential : TokenCredential, IDisposable
{
    /// <summary>The setting Azure Monitor's SDKs read for Entra ID authentication.</summary>
    public const string AuthenticationStringVariable = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    private readonly Uri _endpoint;
    private readonly string _secret;
    private readonly string? _clientId;
    private readonly HttpClient _client;
    private readonly Lock _gate = new();
    private AccessToken _cached;
    private string? _cachedResource;

    public AppServiceManagedIdentityCredential(Uri endpoint, string secret, string? clientId, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrEmpty(secret);
        _endpoint = endpoint;
        _secret = secret;
        _clientId = clientId;
        _client = handler is null ? new HttpClient { Timeout = TimeSpan.FromSeconds(10) } : new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>
    /// The credential the settings ask for: null when <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> does not say
    /// <c>Authorization=AAD</c>; an error when it does but no identity endpoint is available.
    /// </summary>
    public static AppServiceManagedIdentityCredential? FromSettings(Func<string, string?> getSetting, out string? error)
    {
        ArgumentNullException.ThrowIfNull(getSetting);
        error = null;
        var authentication = getSetting(AuthenticationStringVariable);
        if (string.IsNullOrWhiteSpace(authentication))
        {
            return null;
        }

        string? authorization = null, clientId = null;
        foreach (var part in authentication.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var key = part[..equals].Trim();
            var value = part[(equals + 1)..].Trim();
            if (key.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                authorization = value;
            }
            else if (key.Equals("ClientId", StringComparison.OrdinalIgnoreCase))
            {
                clientId = value;
            }
        }

        if (!string.Equals(authorization, "AAD", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var endpoint = getSetting("IDENTITY_ENDPOINT");
        var secret = getSetting("IDENTITY_HEADER");
        if (string.IsNullOrEmpty(endpoint) || string.IsNullOrEmpty(secret) || !Uri.TryCreate(endpoint, UriKind.Absolute, out var endpointUri))
        {
            error = $"{AuthenticationStringVariable} asks for Entra ID, but no managed identity endpoint (IDENTITY_ENDPOINT, IDENTITY_HEADER) is available";
            return null;
        }

        return new AppServiceManagedIdentityCredential(endpointUri, secret, string.IsNullOrEmpty(clientId) ? null : clientId);
    }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        var resource = Resource(requestContext.Scopes);
        lock (_gate)
        {
            if (_cachedResource == resource && _cached.ExpiresOn > DateTimeOffset.UtcNow.AddMinutes(5))
            {
                return _cached;
            }
        }

        var query = $"?api-version=2019-08-01&resource={Uri.EscapeDataString(resource)}" + (_clientId is null ? "" : $"&client_id={Uri.EscapeDataString(_clientId)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_endpoint + query));
        request.Headers.TryAddWithoutValidation("X-IDENTITY-HEADER", _secret);
        using var response = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"the managed identity endpoint answered {(int)response.StatusCode}");
        }

        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        var token = root.GetProperty("access_token").GetString() ?? throw new InvalidOperationException("no access_token in the managed identity response");
        var expiresOn = root.TryGetProperty("expires_on", out var expires) ? ParseExpiry(expires) : DateTimeOffset.UtcNow.AddMinutes(10);
        var accessToken = new AccessToken(token, expiresOn);
        lock (_gate)
        {
            _cached = accessToken;
            _cachedResource = resource;
        }

        return accessToken;
    }

    public void Dispose() => _client.Dispose();

    /// <summary>The resource of a <c>…/.default</c> scope, as the v1-style identity endpoint wants it.</summary>
    internal static string Resource(string[] scopes)
    {
        var scope = scopes.Length > 0 ? scopes[0] : "https://monitor.azure.com//.default";
        return scope.EndsWith("/.default", StringComparison.Ordinal) ? scope[..^"/.default".Length] : scope;
    }

    private static DateTimeOffset ParseExpiry(JsonElement value)
    {
        var text = value.ValueKind == JsonValueKind.Number ? value.GetRawText() : value.GetString();
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : DateTimeOffset.UtcNow.AddMinutes(10);
    }
}
