using System.Text;
using FunctionApp.Gateway.Routing;

namespace FunctionApp.Gateway.Backends;

/// <summary>
/// A backend <c>url_pattern</c> such as <c>/v1/users/{id}?expand={what}</c>, compiled once at start-up.
/// Placeholders are filled with the endpoint's parameters, each value percent-escaped so that it stays inside the
/// segment (or query value) where the pattern put it: a parameter can never add a <c>/</c>, a <c>?</c>, a <c>#</c>
/// or a dot segment to the backend URL. (KrakenD substitutes raw values; see the README's differences.)
/// </summary>
public sealed class UrlPattern
{
    private readonly Part[] _parts;
    private readonly int _literalLength;

    private UrlPattern(string text, Part[] parts, bool hasQuery)
    {
        Text = text;
        _parts = parts;
        HasQuery = hasQuery;
        foreach (var part in parts)
        {
            _literalLength += part.IsPlaceholder ? 8 : part.Value.Length;
        }
    }

    public string Text { get; }

    /// <summary>True when the pattern carries its own query string (<c>?a=b</c>).</summary>
    public bool HasQuery { get; }

    public IEnumerable<string> PlaceholderNames
    {
        get
        {
            foreach (var part in _parts)
            {
                if (part.IsPlaceholder)
                {
                    yield return part.Value;
                }
            }
        }
    }

    /// <summary>
    /// Compiles a url_pattern. Each placeholder must name one of <paramref name="parameterNames"/>; as in KrakenD,
    /// the first letter's case does not matter (<c>{id}</c> and <c>{Id}</c> are the same parameter).
    /// </summary>
    public static UrlPattern? TryCompile(string pattern, IReadOnlyList<string> parameterNames, string endpointPath, List<string> problems)
    {
        if (pattern.Length == 0)
        {
            problems.Add("must not be empty");
            return null;
        }

        if (pattern.Contains('#', StringComparison.Ordinal))
        {
            problems.Add($"\"{pattern}\" must not contain a fragment ('#')");
            return null;
        }

        var parts = new List<Part>();
        var literal = new StringBuilder();
        var queryStart = pattern.IndexOf('?', StringComparison.Ordinal);
        var ok = true;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '{')
            {
                var close = pattern.IndexOf('}', i + 1);
                if (close < 0)
                {
                    problems.Add($"\"{pattern}\" has an unclosed '{{'");
                    return null;
                }

                var name = pattern[(i + 1)..close];
                if (!EndpointTemplate.IsParameterName(name))
                {
                    problems.Add($"{{{name}}} is not a valid placeholder name");
                    ok = false;
                }
                else
                {
                    var resolved = Resolve(name, parameterNames);
                    if (resolved is null)
                    {
                        problems.Add($"{{{name}}} is not a parameter of {endpointPath}");
                        ok = false;
                    }
                    else
                    {
                        if (literal.Length > 0)
                        {
                            parts.Add(new Part(literal.ToString(), false, false));
                            literal.Clear();
                        }

                        parts.Add(new Part(resolved, true, queryStart >= 0 && i > queryStart));
                    }
                }

                i = close;
                continue;
            }

            if (c == '}')
            {
                problems.Add($"\"{pattern}\" has a '}}' without a matching '{{'");
                return null;
            }

            literal.Append(c);
        }

        if (literal.Length > 0)
        {
            parts.Add(new Part(literal.ToString(), false, false));
        }

        if (!ok)
        {
            return null;
        }

        if (pattern[0] != '/')
        {
            // KrakenD joins host and pattern as strings; a pattern without a leading slash is almost always a mistake.
            problems.Add($"\"{pattern}\" must start with /");
            return null;
        }

        return new UrlPattern(pattern, [.. parts], queryStart >= 0);
    }

    private static string? Resolve(string name, IReadOnlyList<string> parameterNames)
    {
        foreach (var candidate in parameterNames)
        {
            if (candidate.Length == name.Length
                && char.ToUpperInvariant(candidate[0]) == char.ToUpperInvariant(name[0])
                && candidate.AsSpan(1).SequenceEqual(name.AsSpan(1)))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// Appends the pattern, with every placeholder replaced by its escaped value, to <paramref name="target"/>.
    /// Returns false, leaving <paramref name="target"/> incomplete, when a path value is a dot segment.
    /// </summary>
    public bool AppendTo(StringBuilder target, IReadOnlyDictionary<string, string> parameters)
    {
        foreach (var part in _parts)
        {
            if (!part.IsPlaceholder)
            {
                target.Append(part.Value);
                continue;
            }

            var value = parameters.TryGetValue(part.Value, out var v) ? v : string.Empty;
            if (!part.InQuery && value is "." or "..")
            {
                // Escaped or not (%2E%2E), a dot segment is resolved by the backend: no URL can hold it safely.
                return false;
            }

            target.Append(Uri.EscapeDataString(value));
        }

        return true;
    }

    public int EstimatedLength => _literalLength;

    public override string ToString() => Text;

    private readonly record struct Part(string Value, bool IsPlaceholder, bool InQuery);
}
