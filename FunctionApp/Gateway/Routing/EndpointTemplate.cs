namespace FunctionApp.Gateway.Routing;

/// <summary>
/// A parsed endpoint path such as <c>/users/{id}/orders</c>: a list of segments, each either a literal or a
/// <c>{parameter}</c> that captures one whole path segment (KrakenD's REST rule, <c>disable_rest: false</c>).
/// </summary>
public sealed class EndpointTemplate
{
    private EndpointTemplate(string text, TemplateSegment[] segments)
    {
        Text = text;
        Segments = segments;
        var names = new List<string>();
        foreach (var segment in segments)
        {
            if (segment.IsParameter)
            {
                names.Add(segment.Value);
            }
        }

        ParameterNames = [.. names];
    }

    public string Text { get; }

    public IReadOnlyList<TemplateSegment> Segments { get; }

    public IReadOnlyList<string> ParameterNames { get; }

    /// <summary>Parses an endpoint path, returning the problems found (empty when it is valid).</summary>
    public static EndpointTemplate? TryParse(string path, List<string> problems)
    {
        if (path.Length == 0 || path[0] != '/')
        {
            problems.Add($"\"{path}\" must start with /");
            return null;
        }

        var rawSegments = path.Length == 1 ? [] : path[1..].Split('/');
        var segments = new List<TemplateSegment>(rawSegments.Length);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rawSegments.Length; i++)
        {
            var raw = rawSegments[i];
            if (raw.Length == 0 && i != rawSegments.Length - 1)
            {
                problems.Add($"\"{path}\" has an empty path segment");
                return null;
            }

            if (raw.Contains('*', StringComparison.Ordinal))
            {
                problems.Add($"\"{path}\": wildcard endpoints are not supported");
                return null;
            }

            if (raw.Length > 2 && raw[0] == '{' && raw[^1] == '}' && IsParameterName(raw.AsSpan(1, raw.Length - 2)))
            {
                var name = raw[1..^1];
                if (!seen.Add(name))
                {
                    problems.Add($"\"{path}\" declares the parameter {{{name}}} twice");
                    return null;
                }

                segments.Add(TemplateSegment.Parameter(name));
                continue;
            }

            if (raw.Contains('{', StringComparison.Ordinal) || raw.Contains('}', StringComparison.Ordinal))
            {
                problems.Add($"\"{path}\": a parameter must be a whole path segment such as /{{name}}/, with letters, digits, '-' or '_' in its name");
                return null;
            }

            if (raw.Contains('?', StringComparison.Ordinal) || raw.Contains('#', StringComparison.Ordinal) || raw.Contains('%', StringComparison.Ordinal))
            {
                problems.Add($"\"{path}\" contains a character that is not allowed in an endpoint path ('?', '#' or '%')");
                return null;
            }

            segments.Add(TemplateSegment.Literal(raw));
        }

        return new EndpointTemplate(path, [.. segments]);
    }

    internal static bool IsParameterName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => Text;
}

/// <summary>One segment of an <see cref="EndpointTemplate"/>.</summary>
public readonly record struct TemplateSegment(string Value, bool IsParameter)
{
    public static TemplateSegment Literal(string value) => new(value, false);

    public static TemplateSegment Parameter(string name) => new(name, true);
}
