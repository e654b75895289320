using System.Diagnostics;
using System.Net.Http.Headers;
using Telemetry.Configuration;

namespace Telemetry.Layers.BackendRequest;

/// <summary>
/// <c>report_headers</c> (§5.7) for <see cref="HttpClient"/> messages: one string-array attribute per header,
/// <c>&lt;prefix&gt;&lt;lower-case name&gt;</c>, skipped or redacted by the layer's <see cref="HeaderReportPolicy"/>.
/// Reads the raw values, so nothing is parsed or validated on the way.
/// </summary>
internal static class MessageHeaderReporting
{
    private static readonly string[] Redacted = [HeaderReportPolicy.RedactedValue];

    public static void Add(Activity span, string prefix, HeaderReportPolicy policy, HttpHeaders headers)
    {
        foreach (var (name, values) in headers.NonValidated)
        {
            switch (policy.Classify(name))
            {
                case HeaderReportAction.Skip:
                    break;
                case HeaderReportAction.Redact:
                    span.SetTag(prefix + name.ToLowerInvariant(), Redacted);
                    break;
                default:
                    var array = new string[values.Count];
                    var i = 0;
                    foreach (var value in values)
                    {
                        array[i++] = value;
                    }

                    span.SetTag(prefix + name.ToLowerInvariant(), array);
                    break;
            }
        }
    }
}
