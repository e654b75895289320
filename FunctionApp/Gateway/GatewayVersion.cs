namespace FunctionApp.Gateway;

/// <summary>The version string the gateway reports, in KrakenD's format, so KrakenD tooling recognises it.</summary>
public static class GatewayVersion
{
    /// <summary>The KrakenD CE release whose core behaviour this gateway follows.</summary>
    public const string KrakenDCompatible = "2.13.8";

    /// <summary>The setting that overrides <see cref="KrakenDCompatible"/> in the reported version.</summary>
    public const string VersionSetting = "GATEWAY_KRAKEND_VERSION";

    /// <summary>Our own hop in <c>Via</c> (RFC 9110 §7.6.3).</summary>
    public const string ViaValue = "1.1 serverless-gateway";
}
