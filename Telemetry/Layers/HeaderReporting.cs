using System.Diagnostics;
using Microsoft.Extensions.Primitives;
using Telemetry.Configuration;
using Telemetry.Instrumentation;

namespace Telemetry.Layers;

/// <summary>
/// Puts headers on a span as KrakenD does with <c>report_headers</c> (§5.7): one string-array attribute per header,
/// <c>http.request.header.&lt;lower-case name&gt;</c>, every value kept. Unlike KrakenD, secrets are redacted unless
/// allowed, through the layer's <see cref="HeaderReportPolicy"/>.
/// </summary>
internal static class HeaderReporting
{
    private static readonly string[] Redacted = [HeaderReportPolicy.RedactedValue];

    public static void AddRequestHeaders(Activity activity, HeaderReportPolicy policy, IEnumerable<KeyValuePair<string, StringValues>> headers) =>
        Add(activity, TelemetryAttributes.RequestHeaderPrefix, policy, headers);

    public static void AddResponseHeaders(Activity activity, HeaderReportPolicy policy, IEnumerable<KeyValuePair<string, StringValues>> headers) =>
        Add(activity, TelemetryAttributes.ResponseHeaderPrefix, policy, headers);

    public static void AddResponseHeaders(Activity activity, HeaderReportPolicy policy, IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers)
    {
        foreach (var (name, values) in headers)
        {
            Set(activity, TelemetryAttributes.ResponseHeaderPrefix, policy, name, [.. values]);
        }
    }

    private static void Add(Activity activity, string prefix, HeaderReportPolicy policy, IEnumerable<KeyValuePair<string, StringValues>> headers)
    {
        foreach (var (name, values) in headers)
        {
            if (!name.StartsWith(':'))
            {
                Set(activity, prefix, policy, name, values.ToArray()!);
            }
        }
    }

    private static void Set(Activity activity, string prefix, HeaderReportPolicy policy, string name, string[] values)
    {
        switch (policy.Classify(name))
        {
            case HeaderReportAction.Skip:
                return;
            case HeaderReportAction.Redact:
                activity.SetTag(prefix + name.ToLowerInvariant(), Redacted);
                return;
            default:
                activity.SetTag(prefix + name.ToLowerInvariant(), values);
                return;
        }
    }
}
