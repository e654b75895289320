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
        var references = new List<SequentialReference>();
        foreach (var part in parts)
        {
            _literalLength += part.IsPlaceholder ? 8 : part.Value.Length;
            if (part.IsPlaceholder && SequentialReference.TryParse(part.Value, out var reference))
            {
                references.Add(reference);
            }
        }

        SequentialReferences = [.. references];
        IsLiteral = Array.TrueForAll(parts, static part => !part.IsPlaceholder);
    }

    /// <summary>True when the pattern has no placeholder: the path (and query) it produces is always <see cref="Text"/>.</summary>
    public bool IsLiteral { get; }

    public string Text { get; }

    /// <summary>The <c>{respN_field}</c> placeholders of a sequential backend, in pattern order.</summary>
    public IReadOnlyList<SequentialReference> SequentialReferences { get; }

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
    /// <remarks>
    /// With <paramref name="sequentialIndex"/> set (a backend of a <c>proxy.sequential</c> endpoint), placeholders such
    /// as <c>{resp0_id}</c> or <c>{resp1_user.id}</c> may also name a field of an earlier backend's response.
    /// </remarks>
    public static UrlPattern? TryCompile(string pattern, IReadOnlyList<string> parameterNames, string endpointPath, List<string> problems, int? sequentialIndex = null)
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
                if (SequentialReference.TryParse(name, out var reference))
                {
                    if (sequentialIndex is null)
                    {
                        problems.Add($"{{{name}}} refers to an earlier backend's response, which needs proxy.sequential: true");
                        ok = false;
                    }
                    else if (reference.Backend >= sequentialIndex)
                    {
                        problems.Add($"{{{name}}} refers to backend {reference.Backend}, which is not called before this one");
                        ok = false;
                    }
                    else
                    {
                        if (literal.Length > 0)
                        {
                            parts.Add(new Part(literal.ToString(), false, false));
                            literal.Clear();
                        }

                        parts.Add(new Part(name, true, queryStart >= 0 && i > queryStart));
                    }
                }
                else if (!EndpointTemplate.IsParameterName(name))
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

            string value;
            if (parameters.TryGetValue(part.Value, out var found))
            {
                value = found;
            }
            else if (SequentialReferences.Count > 0 && SequentialReference.TryParse(part.Value, out _))
            {
                // The earlier response had no such field: KrakenD would send the template text; we do not call.
                return false;
            }
            else
            {
                value = string.Empty;
            }

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

/// <summary>
/// A <c>{respN_path}</c> placeholder of a sequential backend: field <see cref="Path"/> (dot-separated) of backend
/// <see cref="Backend"/>'s formatted response.
/// </summary>
public readonly record struct SequentialReference(string Placeholder, int Backend, string[] Path)
{
    public static bool TryParse(string placeholder, out SequentialReference reference)
    {
        reference = default;
        if (!placeholder.StartsWith("resp", StringComparison.Ordinal))
        {
            return false;
        }

        var underscore = placeholder.IndexOf('_', 4);
        if (underscore <= 4 || underscore == placeholder.Length - 1
            || !int.TryParse(placeholder.AsSpan(4, underscore - 4), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var backend))
        {
            return false;
        }

        var path = placeholder[(underscore + 1)..];
        foreach (var c in path)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-' or '.'))
            {
                return false;
            }
        }

        reference = new SequentialReference(placeholder, backend, path.Split('.'));
        return true;
    }
}
