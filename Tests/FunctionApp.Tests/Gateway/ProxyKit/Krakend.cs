namespace FunctionApp.Gateway.ProxyKit.Tests;

/// <summary>Small builders for krakend.json text, so each test shows only the keys it is about.</summary>
public static class Krakend
{
    /// <summary>A version 3 config with the given endpoint objects and optional extra top-level members (<c>"key": value,</c>).</summary>
    public static string Config(string endpoints, string service = "") =>
        $$"""{"version":3,{{service}}"endpoints":[{{endpoints}}]}""";

    /// <summary>One endpoint with one backend; <paramref name="endpointExtras"/> and <paramref name="backendExtras"/> are extra members, each ending with a comma.</summary>
    public static string Endpoint(string path, string host, string urlPattern, string endpointExtras = "", string backendExtras = "") =>
        $$"""{"endpoint":"{{path}}",{{endpointExtras}}"backend":[{{{backendExtras}}"host":["{{host}}"],"url_pattern":"{{urlPattern}}"}]}""";

    /// <summary>A service-level <c>extra_config.router</c> member, e.g. <c>Router("\"return_error_msg\":true")</c>.</summary>
    public static string Router(string options) => "\"extra_config\":{\"router\":{" + options + "}},";

    /// <summary>A config of one endpoint with one backend.</summary>
    public static string OneEndpoint(string path, string host, string urlPattern, string endpointExtras = "", string backendExtras = "", string service = "") =>
        Config(Endpoint(path, host, urlPattern, endpointExtras, backendExtras), service);
}
