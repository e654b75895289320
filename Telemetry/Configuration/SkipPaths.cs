namespace Telemetry.Configuration;

/// <summary>
/// <c>skip_paths</c> (§2.1, §5.9): requests and endpoints that produce no telemetry. KrakenD compares exact strings
/// only, against the literal request path at the global layer and against the normalised endpoint (<c>/foo/:bar</c>)
/// elsewhere, so the docs' <c>/foo/{bar}</c> form never matches there. Here (§2.10, following the docs) an entry is
/// either a literal path, matched exactly, or a pattern whose <c>{name}</c> or <c>:name</c> segments each match one
/// non-empty segment; <see cref="Matches"/> takes a literal request path or an endpoint pattern in either form, so the
/// same entry skips the endpoint at every layer and its requests at the global layer. Matching is case-sensitive and
/// a trailing slash is significant (<c>/__debug/</c> does not match <c>/__debug/x</c>, as in KrakenD).
/// <para>
/// A match skips metrics, spans and (at the global layer) trace-context extraction, as KrakenD's code does; the docs'
/// "works only on metrics" for the global layer is not followed (§2.10; users expect no traces either, krakend-ce#864).
/// </para>
/// </summary>
public sealed class SkipPaths
{
    /// <summary>KrakenD's defaults, used when <c>skip_paths</c> is missing or empty.</summary>
    public static IReadOnlyList<string> KrakenDDefaults { get; } = ["/__health", "/__debug/", "/__echo/", "/__stats/"];

    public static SkipPaths Default { get; } = new(KrakenDDefaults);

    /// <summary><c>[""]</c>: KrakenD's documented way to skip nothing.</summary>
    public static SkipPaths None { get; } = new([""]);

    private readonly HashSet<string> _literals = new(StringComparer.Ordinal);
    private readonly List<string?[]> _patterns = [];

    public SkipPaths(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var list = new List<string>();
        foreach (var path in paths)
        {
            ArgumentNullException.ThrowIfNull(path);
            list.Add(path);
            if (Compile(path) is { } pattern)
            {
                _patterns.Add(pattern);
            }
            else
            {
                _literals.Add(path);
            }
        }

        Paths = list;
    }

    /// <summary>The entries as configured.</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>
    /// True when <paramref name="pathOrPattern"/> (a literal request path such as <c>/foo/123</c>, or an endpoint
    /// pattern such as <c>/foo/{bar}</c> or <c>/foo/:bar</c>) is skipped. A literal entry matches only the identical
    /// string; a pattern entry's parameter segment matches any non-empty segment, parameter or not.
    /// </summary>
    public bool Matches(string pathOrPattern)
    {
        ArgumentNullException.ThrowIfNull(pathOrPattern);
        if (_literals.Contains(pathOrPattern))
        {
            return true;
        }

        if (_patterns.Count == 0)
        {
            return false;
        }

        var segments = pathOrPattern.Split('/');
        foreach (var pattern in _patterns)
        {
            if (SegmentsMatch(pattern, segments))
            {
                return true;
            }
        }

        return false;
    }

    private static bool SegmentsMatch(string?[] pattern, string[] segments)
    {
        if (pattern.Length != segments.Length)
        {
            return false;
        }

        for (var i = 0; i < pattern.Length; i++)
        {
            var expected = pattern[i];
            if (expected is null ? segments[i].Length == 0 : !string.Equals(expected, segments[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Null for a literal entry; otherwise the segments, with null for each parameter segment.</summary>
    private static string?[]? Compile(string path)
    {
        var segments = path.Split('/');
        string?[]? result = null;
        for (var i = 0; i < segments.Length; i++)
        {
            if (IsParameter(segments[i]))
            {
                result ??= segments;
                result[i] = null;
            }
        }

        return result;
    }

    /// <summary><c>{name}</c> (KrakenD config) or <c>:name</c> (Lura/gin normalised).</summary>
    internal static bool IsParameter(string segment) =>
        (segment.Length > 2 && segment[0] == '{' && segment[^1] == '}')
        || (segment.Length > 1 && segment[0] == ':');
}
