namespace FunctionApp.Gateway.Routing;

/// <summary>
/// Matches request paths against the configured endpoints: a tree of path segments where literal segments win
/// over <c>{parameter}</c> segments, with backtracking so <c>/users/me</c> and <c>/users/{id}</c> can coexist.
/// Matching is exact and case-sensitive, as in KrakenD's router.
/// </summary>
public sealed class RouteTable<THandler>
    where THandler : class
{
    private const int NoMoreSegments = -1;

    /// <summary>The parameters of every endpoint without any: shared, never written to.</summary>
    private static readonly IReadOnlyDictionary<string, string> NoParameters = new Dictionary<string, string>(0, StringComparer.Ordinal).AsReadOnly();

    private readonly Node _root = new();

    public void Add(EndpointTemplate template, string method, THandler handler)
    {
        var node = _root;
        foreach (var segment in template.Segments)
        {
            if (segment.IsParameter)
            {
                // Parameters are captured by position, so /a/{id} and /a/{name}/b share this node.
                node.Parameter ??= new Node();
                node = node.Parameter;
            }
            else
            {
                node.Literals ??= new Dictionary<string, Node>(StringComparer.Ordinal);
                if (!node.Literals.TryGetValue(segment.Value, out var child))
                {
                    child = new Node();
                    node.Literals.Add(segment.Value, child);
                }

                node = child;
            }
        }

        node.Handlers ??= new Dictionary<string, Entry>(StringComparer.Ordinal);
        node.Handlers[method] = new Entry(template, handler);
    }

    /// <summary>Looks up a request path (decoded, starting with <c>/</c>).</summary>
    public RouteMatch<THandler> Match(string method, string path)
    {
        // The path's segments are the parts of path[1..] between slashes (none for "/"); they are walked as spans, so
        // only a parameter's value becomes a string.
        var node = Find(_root, path, path.Length <= 1 ? NoMoreSegments : 1);
        if (node?.Handlers is null)
        {
            return default;
        }

        if (!node.Handlers.TryGetValue(method, out var entry))
        {
            return new RouteMatch<THandler>(RouteMatchKind.MethodNotAllowed, null, null, [.. node.Handlers.Keys]);
        }

        if (entry.Template.ParameterNames.Count == 0)
        {
            return new RouteMatch<THandler>(RouteMatchKind.Found, entry.Handler, NoParameters, null);
        }

        var parameters = new Dictionary<string, string>(entry.Template.ParameterNames.Count, StringComparer.Ordinal);
        var start = 1;
        for (var i = 0; i < entry.Template.Segments.Count; i++)
        {
            var end = SegmentEnd(path, start);
            var segment = entry.Template.Segments[i];
            if (segment.IsParameter)
            {
                parameters[segment.Value] = path[start..end];
            }

            start = end + 1;
        }

        return new RouteMatch<THandler>(RouteMatchKind.Found, entry.Handler, parameters, null);
    }

    /// <summary>
    /// gin's RedirectTrailingSlash and RedirectFixedPath: the path this request should have used, when the same path
    /// with (or without) a trailing slash, or with different letter case, is a route for the method; else null.
    /// </summary>
    public string? SuggestRedirect(string method, string path, bool trailingSlash, bool fixedPath)
    {
        if (trailingSlash && path.Length > 1)
        {
            var alternative = path[^1] == '/' ? path[..^1] : path + "/";
            if (Match(method, alternative).Kind == RouteMatchKind.Found)
            {
                return alternative;
            }
        }

        if (fixedPath)
        {
            var segments = path.Length <= 1 ? [] : path[1..].Split('/');
            var canonical = new string[segments.Length];
            var node = FindIgnoringCase(_root, segments, 0, canonical);
            if (node?.Handlers is not null && node.Handlers.ContainsKey(method))
            {
                var fixedUp = "/" + string.Join('/', canonical);
                return fixedUp == path ? null : fixedUp;
            }
        }

        return null;
    }

    private static Node? FindIgnoringCase(Node node, string[] segments, int index, string[] canonical)
    {
        if (index == segments.Length)
        {
            return node.Handlers is null ? null : node;
        }

        var segment = segments[index];
        if (node.Literals is not null)
        {
            foreach (var (literal, child) in node.Literals)
            {
                if (literal.Equals(segment, StringComparison.OrdinalIgnoreCase))
                {
                    canonical[index] = literal;
                    if (FindIgnoringCase(child, segments, index + 1, canonical) is { } found)
                    {
                        return found;
                    }
                }
            }
        }

        if (node.Parameter is not null && segment.Length > 0)
        {
            canonical[index] = segment;
            return FindIgnoringCase(node.Parameter, segments, index + 1, canonical);
        }

        return null;
    }

    /// <summary>Where a segment starting at <paramref name="start"/> ends: the next slash, or the end of the path.</summary>
    private static int SegmentEnd(string path, int start)
    {
        var slash = path.IndexOf('/', start);
        return slash < 0 ? path.Length : slash;
    }

    /// <param name="node">Where the walk is.</param>
    /// <param name="path">The request path.</param>
    /// <param name="start">Where the next segment starts, or <see cref="NoMoreSegments"/>.</param>
    private static Node? Find(Node node, string path, int start)
    {
        if (start == NoMoreSegments)
        {
            return node.Handlers is null ? null : node;
        }

        var end = SegmentEnd(path, start);
        var next = end < path.Length ? end + 1 : NoMoreSegments;
        var segment = path.AsSpan(start, end - start);
        if (node.Literals is not null && node.Literals.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(segment, out var literal))
        {
            var found = Find(literal, path, next);
            if (found is not null)
            {
                return found;
            }
        }

        return node.Parameter is not null && !segment.IsEmpty ? Find(node.Parameter, path, next) : null;
    }

    private sealed class Node
    {
        public Dictionary<string, Node>? Literals { get; set; }
        public Node? Parameter { get; set; }
        public Dictionary<string, Entry>? Handlers { get; set; }
    }

    private readonly record struct Entry(EndpointTemplate Template, THandler Handler);
}

public enum RouteMatchKind
{
    NotFound,
    Found,
    MethodNotAllowed,
}

public readonly record struct RouteMatch<THandler>(RouteMatchKind Kind, THandler? Handler, IReadOnlyDictionary<string, string>? Parameters, string[]? AllowedMethods)
    where THandler : class;
