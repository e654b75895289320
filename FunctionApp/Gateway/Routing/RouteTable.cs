namespace FunctionApp.Gateway.Routing;

/// <summary>
/// Matches request paths against the configured endpoints: a tree of path segments where literal segments win
/// over <c>{parameter}</c> segments, with backtracking so <c>/users/me</c> and <c>/users/{id}</c> can coexist.
/// Matching is exact and case-sensitive, as in KrakenD's router.
/// </summary>
public sealed class RouteTable<THandler>
    where THandler : class
{
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
        var segments = path.Length <= 1 ? [] : path[1..].Split('/');
        var node = Find(_root, segments, 0);
        if (node?.Handlers is null)
        {
            return default;
        }

        if (!node.Handlers.TryGetValue(method, out var entry))
        {
            return new RouteMatch<THandler>(RouteMatchKind.MethodNotAllowed, null, null, [.. node.Handlers.Keys]);
        }

        var parameters = new Dictionary<string, string>(entry.Template.ParameterNames.Count, StringComparer.Ordinal);
        for (var i = 0; i < entry.Template.Segments.Count; i++)
        {
            var segment = entry.Template.Segments[i];
            if (segment.IsParameter)
            {
                parameters[segment.Value] = segments[i];
            }
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

    private static Node? Find(Node node, string[] segments, int index)
    {
        if (index == segments.Length)
        {
            return node.Handlers is null ? null : node;
        }

        var segment = segments[index];
        if (node.Literals is not null && node.Literals.TryGetValue(segment, out var literal))
        {
            var found = Find(literal, segments, index + 1);
            if (found is not null)
            {
                return found;
            }
        }

        return node.Parameter is not null && segment.Length > 0 ? Find(node.Parameter, segments, index + 1) : null;
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
