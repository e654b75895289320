using System.Globalization;
using System.Text.Json.Nodes;

namespace FunctionApp.Gateway.Proxy;

/// <summary>
/// KrakenD's flatmap (library <c>krakend/flatmap</c>, package <c>tree</c>): the data is seen as a tree whose edges are
/// object keys and array indexes, and <c>move</c>, <c>del</c> and <c>append</c> rewrite that tree. Used per backend
/// (<see cref="EntityFormatter"/>) and on an endpoint's merged response.
/// </summary>
/// <remarks>
/// The library's observable quirks are kept on purpose, because configurations are written against them:
/// <list type="bullet">
/// <item><c>*</c> matches every child, of arrays and objects alike; other segments match a key or an index as text.</item>
/// <item>An array or object emptied by <c>move</c> or <c>del</c> becomes <c>null</c> (one that arrived empty stays empty).</item>
/// <item>Indexes are the original positions: after <c>del a.0</c>, <c>a.1</c> still names the same element.</item>
/// <item><c>move</c> with paths of equal length only renames the last segment, where the source was found.</item>
/// <item><c>move</c> to a shorter path walks the destination from the root, using the source's labels for <c>*</c>,
/// and attaches at the deepest node it finds; to a longer path it keeps the source's parent and creates the
/// destination's extra segments below it.</item>
/// <item><c>append</c> does nothing unless both paths hold arrays (a <c>*</c> path counts as one).</item>
/// </list>
/// Only the parts of the document an operation walks through are taken apart; the rest is moved as is.
/// </remarks>
public static class Flatmap
{
    private const string Wildcard = "*";

    /// <summary>Runs <paramref name="operations"/> in order over <paramref name="data"/>, rewriting it in place.</summary>
    public static void Apply(JsonObject data, IReadOnlyList<FlatmapOperation> operations)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(operations);
        if (operations.Count == 0)
        {
            return;
        }

        var root = new Node();
        root.Absorb(data);
        foreach (var operation in operations)
        {
            var args = operation.Args;
            switch (operation.Type)
            {
                case FlatmapOperationType.Move when args.Length >= 2:
                    Move(root, args[0], args[1]);
                    break;
                case FlatmapOperationType.Append when args.Length >= 2:
                    Append(root, args[0], args[1]);
                    break;
                case FlatmapOperationType.Del:
                    foreach (var path in args)
                    {
                        Delete(root, path, 0);
                    }

                    break;
            }
        }

        var result = root.ToJson(copy: false);
        if (ReferenceEquals(result, data))
        {
            return;
        }

        // The root was taken apart (which emptied data): move the rebuilt properties back in. A root emptied by the
        // operations is null for the library; an object has to stay an object here, so it stays empty.
        data.Clear();
        if (result is JsonObject rebuilt)
        {
            var properties = rebuilt.ToList();
            rebuilt.Clear();
            foreach (var (key, value) in properties)
            {
                data[key] = value;
            }
        }
    }

    private static void Move(Node root, string[] source, string[] destination)
    {
        if (source.Length == 0 || destination.Length == 0)
        {
            return;
        }

        var candidates = new List<Candidate> { new(root, []) };
        for (var i = 0; i < source.Length - 1; i++)
        {
            candidates = Step(candidates, source[i]);
        }

        var label = source[^1];
        var isRename = source.Length == destination.Length;
        var moved = new List<(Candidate From, Edge Edge)>();
        foreach (var candidate in candidates)
        {
            var edges = candidate.Node.Edges;
            var index = IndexOf(edges, label);
            if (index < 0)
            {
                continue;
            }

            var edge = edges[index];
            if (isRename)
            {
                Rename(candidate.Node, edge, destination[^1]);
                continue;
            }

            edges.RemoveAt(index);
            moved.Add((candidate, edge));
        }

        if (isRename)
        {
            return;
        }

        if (source.Length > destination.Length)
        {
            Promote(root, moved, destination);
        }
        else
        {
            Embed(moved, destination.AsSpan(source.Length - 1));
        }
    }

    /// <summary>Moves each edge up: the destination is walked from the root, <c>*</c> taking the source's label.</summary>
    private static void Promote(Node root, List<(Candidate From, Edge Edge)> moved, string[] destination)
    {
        foreach (var (from, edge) in moved)
        {
            var parent = root;
            for (var i = 0; i < destination.Length - 1; i++)
            {
                var label = destination[i] == Wildcard ? from.Path[i] : destination[i];
                var index = IndexOf(parent.Edges, label);
                if (index < 0)
                {
                    break;
                }

                parent = parent.Edges[index].Node;
            }

            edge.Label = destination[^1];
            Attach(parent, edge);
        }
    }

    /// <summary>Moves each edge down, below its old parent, creating the intermediate objects it needs.</summary>
    private static void Embed(List<(Candidate From, Edge Edge)> moved, ReadOnlySpan<string> tail)
    {
        foreach (var (from, edge) in moved)
        {
            var parent = from.Node;
            foreach (var label in tail[..^1])
            {
                parent = Child(parent, label);
            }

            edge.Label = tail[^1];
            Attach(parent, edge);
        }
    }

    private static void Append(Node root, string[] source, string[] destination)
    {
        if (Get(root, source, 0) is not JsonArray from || Get(root, destination, 0) is not JsonArray to)
        {
            return;
        }

        var items = from.ToList();
        from.Clear();
        foreach (var item in items)
        {
            to.Add(item);
        }

        var node = root;
        foreach (var label in destination)
        {
            node = Child(node, label);
        }

        node.Absorb(to);
        Delete(root, source, 0);
    }

    private static void Delete(Node node, string[] path, int depth)
    {
        if (depth >= path.Length)
        {
            return;
        }

        var edges = node.Edges;
        if (edges.Count == 0)
        {
            return;
        }

        var isLast = depth == path.Length - 1;
        if (path[depth] == Wildcard)
        {
            if (isLast)
            {
                edges.Clear();
                return;
            }

            foreach (var edge in edges)
            {
                Delete(edge.Node, path, depth + 1);
            }

            return;
        }

        var index = IndexOf(edges, path[depth]);
        if (index < 0)
        {
            return;
        }

        if (isLast)
        {
            edges.RemoveAt(index);
        }
        else
        {
            Delete(edges[index].Node, path, depth + 1);
        }
    }

    /// <summary>A copy of the value at <paramref name="path"/>; <c>*</c> collects every child into an array.</summary>
    private static JsonNode? Get(Node node, string[] path, int depth)
    {
        if (depth == path.Length)
        {
            return node.ToJson(copy: true);
        }

        var edges = node.Edges;
        if (edges.Count == 0)
        {
            return null;
        }

        if (path[depth] == Wildcard)
        {
            var all = new JsonArray();
            foreach (var edge in edges)
            {
                all.Add(Get(edge.Node, path, depth + 1));
            }

            return all;
        }

        var index = IndexOf(edges, path[depth]);
        return index < 0 ? null : Get(edges[index].Node, path, depth + 1);
    }

    private static List<Candidate> Step(List<Candidate> candidates, string segment)
    {
        var next = new List<Candidate>();
        foreach (var candidate in candidates)
        {
            var edges = candidate.Node.Edges;
            if (segment == Wildcard)
            {
                foreach (var edge in edges)
                {
                    next.Add(new Candidate(edge.Node, [.. candidate.Path, edge.Label]));
                }
            }
            else if (IndexOf(edges, segment) is var index and >= 0)
            {
                next.Add(new Candidate(edges[index].Node, [.. candidate.Path, segment]));
            }
        }

        return next;
    }

    /// <summary>The child at <paramref name="label"/>, created as an empty object when there is none.</summary>
    private static Node Child(Node parent, string label)
    {
        var edges = parent.Edges;
        var index = IndexOf(edges, label);
        if (index >= 0)
        {
            return edges[index].Node;
        }

        var child = new Node();
        edges.Add(new Edge(label, child));
        return child;
    }

    /// <summary>
    /// Adds an edge last. In an object a key is unique, so the moved value replaces one already there (the library
    /// keeps both and the result depends on Go's map order).
    /// </summary>
    private static void Attach(Node parent, Edge edge)
    {
        var edges = parent.Edges;
        if (!parent.IsCollection)
        {
            edges.RemoveAll(other => other.Label == edge.Label);
        }

        edges.Add(edge);
    }

    private static void Rename(Node parent, Edge edge, string label)
    {
        if (!parent.IsCollection)
        {
            parent.Edges.RemoveAll(other => other != edge && other.Label == label);
        }

        edge.Label = label;
    }

    private static int IndexOf(List<Edge> edges, string label)
    {
        for (var i = 0; i < edges.Count; i++)
        {
            if (edges[i].Label == label)
            {
                return i;
            }
        }

        return -1;
    }

    private readonly record struct Candidate(Node Node, string[] Path);

    private sealed class Edge(string label, Node node)
    {
        public string Label { get; set; } = label;

        public Node Node { get; } = node;
    }

    /// <summary>
    /// A node of the library's tree. A non-empty array or object stays <see cref="_pending"/> (the JSON as it came)
    /// until an operation needs its children; a scalar, null or empty container is a leaf holding <see cref="_value"/>.
    /// </summary>
    private sealed class Node
    {
        private List<Edge>? _edges;
        private JsonNode? _pending;
        private JsonNode? _value;

        public bool IsCollection { get; private set; }

        public List<Edge> Edges
        {
            get
            {
                if (_pending is not null)
                {
                    Split();
                }

                return _edges ??= [];
            }
        }

        /// <summary>Takes in a value, merging its children with the existing ones as the library's <c>flatten</c>.</summary>
        public void Absorb(JsonNode? value)
        {
            switch (value)
            {
                case JsonObject { Count: 0 }:
                    IsCollection = false;
                    _value = value;
                    break;
                case JsonArray { Count: 0 }:
                    IsCollection = true;
                    _value = value;
                    break;
                case JsonObject or JsonArray:
                    IsCollection = value is JsonArray;
                    if (_pending is null && (_edges is null || _edges.Count == 0))
                    {
                        _pending = value;
                    }
                    else
                    {
                        Merge(value);
                    }

                    break;
                default:
                    IsCollection = false;
                    _value = value;
                    break;
            }
        }

        /// <summary>
        /// Rebuilds the JSON. With <paramref name="copy"/> the tree is left intact; without it the tree's values move
        /// into the result, so it is done once, at the end.
        /// </summary>
        public JsonNode? ToJson(bool copy)
        {
            if (_pending is not null)
            {
                return copy ? _pending.DeepClone() : _pending;
            }

            if (_edges is null || _edges.Count == 0)
            {
                return copy ? _value?.DeepClone() : _value;
            }

            if (IsCollection)
            {
                var array = new JsonArray();
                foreach (var edge in _edges)
                {
                    array.Add(edge.Node.ToJson(copy));
                }

                return array;
            }

            var obj = new JsonObject();
            foreach (var edge in _edges)
            {
                obj[edge.Label] = edge.Node.ToJson(copy);
            }

            return obj;
        }

        private void Split()
        {
            var pending = _pending!;
            _pending = null;
            _edges ??= [];
            foreach (var (label, value) in Detach(pending))
            {
                var child = new Node();
                child.Absorb(value);
                _edges.Add(new Edge(label, child));
            }
        }

        private void Merge(JsonNode container)
        {
            var edges = Edges;
            foreach (var (label, value) in Detach(container))
            {
                var index = IndexOf(edges, label);
                if (index >= 0)
                {
                    edges[index].Node.Absorb(value);
                }
                else
                {
                    var child = new Node();
                    child.Absorb(value);
                    edges.Add(new Edge(label, child));
                }
            }
        }

        /// <summary>Empties a container and returns its children, labelled by key or index, free to be re-parented.</summary>
        private static List<KeyValuePair<string, JsonNode?>> Detach(JsonNode container)
        {
            List<KeyValuePair<string, JsonNode?>> children;
            if (container is JsonObject obj)
            {
                children = [.. obj];
                obj.Clear();
            }
            else
            {
                var array = (JsonArray)container;
                children = new List<KeyValuePair<string, JsonNode?>>(array.Count);
                for (var i = 0; i < array.Count; i++)
                {
                    children.Add(new KeyValuePair<string, JsonNode?>(i.ToString(CultureInfo.InvariantCulture), array[i]));
                }

                array.Clear();
            }

            return children;
        }
    }
}
