using System.Globalization;

namespace FunctionApp.Gateway.Encoding;

internal enum NegotiatedFormat
{
    Json,
    Yaml,
    Xml,
}

/// <summary>
/// Picks the <c>negotiate</c> output format from an Accept header. Media ranges are weighed by their q-value (the
/// highest wins, the earlier one on a tie, q=0 never); unknown types are skipped and JSON is the default.
/// KrakenD offers JSON, <c>text/plain</c> (rendered as YAML) and XML, so <c>*/*</c> and <c>application/*</c> mean
/// JSON and <c>text/*</c> means YAML.
/// </summary>
internal static class AcceptNegotiator
{
    public static NegotiatedFormat Select(string? accept)
    {
        var best = NegotiatedFormat.Json;
        var bestQuality = 0.0;
        var rest = accept.AsSpan();
        while (!rest.IsEmpty)
        {
            var comma = rest.IndexOf(',');
            var range = comma < 0 ? rest : rest[..comma];
            rest = comma < 0 ? default : rest[(comma + 1)..];

            var semicolon = range.IndexOf(';');
            var mediaType = (semicolon < 0 ? range : range[..semicolon]).Trim();
            if (!TryMatch(mediaType, out var format))
            {
                continue;
            }

            var quality = semicolon < 0 ? 1.0 : Quality(range[(semicolon + 1)..]);
            if (quality > bestQuality)
            {
                best = format;
                bestQuality = quality;
            }
        }

        return best;
    }

    private static bool TryMatch(ReadOnlySpan<char> mediaType, out NegotiatedFormat format)
    {
        if (Is(mediaType, "application/json") || Is(mediaType, "*/*") || Is(mediaType, "application/*"))
        {
            format = NegotiatedFormat.Json;
            return true;
        }

        if (Is(mediaType, "application/yaml") || Is(mediaType, "application/x-yaml") || Is(mediaType, "text/yaml")
            || Is(mediaType, "text/plain") || Is(mediaType, "text/*"))
        {
            format = NegotiatedFormat.Yaml;
            return true;
        }

        if (Is(mediaType, "application/xml") || Is(mediaType, "text/xml"))
        {
            format = NegotiatedFormat.Xml;
            return true;
        }

        format = NegotiatedFormat.Json;
        return false;
    }

    /// <summary>The q parameter among a range's parameters; 1 when absent or unreadable.</summary>
    private static double Quality(ReadOnlySpan<char> parameters)
    {
        while (!parameters.IsEmpty)
        {
            var semicolon = parameters.IndexOf(';');
            var parameter = (semicolon < 0 ? parameters : parameters[..semicolon]).Trim();
            parameters = semicolon < 0 ? default : parameters[(semicolon + 1)..];
            if (parameter.Length >= 2 && (parameter[0] | 0x20) == 'q' && parameter[1] == '=')
            {
                return double.TryParse(parameter[2..], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var q)
                    ? Math.Clamp(q, 0, 1)
                    : 1.0;
            }
        }

        return 1.0;
    }

    private static bool Is(ReadOnlySpan<char> mediaType, string expected) =>
        mediaType.Equals(expected, StringComparison.OrdinalIgnoreCase);
}
