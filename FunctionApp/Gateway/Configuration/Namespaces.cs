namespace FunctionApp.Gateway.Configuration;

/// <summary>The <c>extra_config</c> namespaces the core understands, in both of KrakenD's spellings.</summary>
public static class Namespaces
{
    public const string Router = "router";
    public const string RouterLong = "github_com/luraproject/lura/router/gin";
    public const string Proxy = "proxy";
    public const string ProxyLong = "github.com/devopsfaith/krakend/proxy";
    public const string BackendHttp = "backend/http";
    public const string BackendHttpLong = "github.com/devopsfaith/krakend/http";
    public const string BackendHttpClient = "backend/http/client";
    public const string CircuitBreaker = "qos/circuit-breaker";

    /// <summary>Returns the value stored under either spelling of a namespace.</summary>
    public static bool TryGet(Dictionary<string, System.Text.Json.JsonElement>? extraConfig, string shortName, string longName, out System.Text.Json.JsonElement value, out string usedName)
    {
        usedName = shortName;
        value = default;
        if (extraConfig is null)
        {
            return false;
        }

        if (extraConfig.TryGetValue(shortName, out value))
        {
            return true;
        }

        usedName = longName;
        return extraConfig.TryGetValue(longName, out value);
    }
}
