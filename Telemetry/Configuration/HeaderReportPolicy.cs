using System.Collections.Frozen;

namespace Telemetry.Configuration;

/// <summary>What header reporting (§5.7) does with one header.</summary>
public enum HeaderReportAction
{
    /// <summary>Reported with its values.</summary>
    Report,

    /// <summary>Reported with the single value <see cref="HeaderReportPolicy.RedactedValue"/>.</summary>
    Redact,

    /// <summary>Listed in <c>skip_headers</c>: not reported at all.</summary>
    Skip,
}

/// <summary>
/// Decides, per header name (case-insensitively, like KrakenD's canonicalised comparison), whether a layer with
/// <c>report_headers</c> reports, redacts or skips it. KrakenD reports <c>Authorization</c> and cookies in clear unless
/// skipped (§5.7); here the <see cref="SecretHeaders"/> are redacted unless the layer lists them in
/// <c>report_headers_allow_secrets</c>. <c>skip_headers</c> wins over both.
/// </summary>
public sealed class HeaderReportPolicy
{
    /// <summary>The value reported instead of a secret header's values.</summary>
    public const string RedactedValue = "[REDACTED]";

    /// <summary>Headers whose values are redacted by default.</summary>
    public static IReadOnlyList<string> SecretHeaders { get; } =
        ["Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "x-functions-key"];

    private static readonly FrozenSet<string> SecretSet = SecretHeaders.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenSet<string> _skip;
    private readonly FrozenSet<string> _allowedSecrets;

    public HeaderReportPolicy(IEnumerable<string> skipHeaders, IEnumerable<string> allowedSecrets)
    {
        ArgumentNullException.ThrowIfNull(skipHeaders);
        ArgumentNullException.ThrowIfNull(allowedSecrets);
        _skip = skipHeaders.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        _allowedSecrets = allowedSecrets.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>True for the names in <see cref="SecretHeaders"/>, in any case.</summary>
    public static bool IsSecret(string headerName) => SecretSet.Contains(headerName);

    public HeaderReportAction Classify(string headerName)
    {
        if (_skip.Contains(headerName))
        {
            return HeaderReportAction.Skip;
        }

        return SecretSet.Contains(headerName) && !_allowedSecrets.Contains(headerName)
            ? HeaderReportAction.Redact
            : HeaderReportAction.Report;
    }
}
