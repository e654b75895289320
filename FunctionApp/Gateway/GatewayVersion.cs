namespace FunctionApp.Gateway;

/// <summary>The version string the gateway reports, in KrakenD's format, so KrakenD tooling recognises it.</summary>
public static class GatewayVersion
{
    /// <summary>The KrakenD CE release whose core behaviour this gateway follows.</summary>
    public const string KrakenDCompatible = "2.13.8";

    /// <summary><c>Version 2.13.8</c>: the value of <c>X-Krakend</c>.</summary>
    public const string HeaderValue = "Version " + KrakenDCompatible;

    /// <summary>Sent as <c>User-Agent</c> (or <c>X-Forwarded-Via</c>) to backends.</summary>
    public const string UserAgent = "KrakenD Version " + KrakenDCompatible;

    /// <summary>Our own hop in <c>Via</c> (RFC 9110 §7.6.3).</summary>
    public const string ViaValue = "1.1 serverless-gateway";
}
