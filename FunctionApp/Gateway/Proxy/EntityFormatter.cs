using System.Text.Json.Nodes;

namespace FunctionApp.Gateway.Proxy;

/// <summary>
/// Shapes one backend's response as Lura's <c>proxy/formatter.go</c>, in this order: <c>target</c> (the object at a
/// dot path becomes the data; anything else gives <c>{}</c>), then <c>allow</c> when it has entries, else
/// <c>deny</c>, then <c>mapping</c> (top-level renames), then <c>group</c> (wraps the data in one key). A
/// <c>flatmap_filter</c> replaces allow, deny and mapping; target and group still apply.
/// </summary>
public sealed class EntityFormatter
{
    private readonly string[]? _target;
    private readonly PathTree? _allow;
    private readonly PathTree? _deny;
    private readonly KeyValuePair<string, string>[] _mapping;
    private readonly string? _group;
    private readonly IReadOnlyList<FlatmapOperation>? _flatmap;

    private EntityFormatter(string[]? target, PathTree? allow, PathTree? deny, KeyValuePair<string, string>[] mapping, string? group, IReadOnlyList<FlatmapOperation>? flatmap)
    {
        _target = target;
        _allow = allow;
        _deny = deny;
        _mapping = mapping;
        _group = group;
        _flatmap = flatmap;
    }

    /// <summary>Builds the formatter for a backend, or returns null when the settings leave the data as it is.</summary>
    public static EntityFormatter? Create(string? target, string[]? allow, string[]? deny, IReadOnlyDictionary<string, string>? mapping, string? group, IReadOnlyList<FlatmapOperation>? flatmap)
    {
        var targetPath = string.IsNullOrEmpty(target) ? null : target.Split('.');
        var groupName = string.IsNullOrEmpty(group) ? null : group;
        if (flatmap is { Count: > 0 })
        {
            return new EntityFormatter(targetPath, null, null, [], groupName, flatmap);
        }

        var allowTree = allow is { Length: > 0 } ? BuildAllowTree(allow) : null;
        var denyTree = allowTree is null && deny is { Length: > 0 } ? BuildDenyTree(deny) : null;

        // Lura keeps only the part of a new name before its first dot: a mapping cannot nest.
        var renames = mapping is null
            ? []
            : mapping.Select(pair => new KeyValuePair<string, string>(pair.Key, FirstSegment(pair.Value))).ToArray();

        if (targetPath is null && groupName is null && allowTree is null && denyTree is null && renames.Length == 0)
        {
            return null;
        }

        return new EntityFormatter(targetPath, allowTree, denyTree, renames, groupName, null);
    }

    /// <summary>
    /// Formats <paramref name="data"/>, which must not belong to a parent node. The input is rewritten in place and
    /// may be returned itself, or a new object (target, group) is returned.
    /// </summary>
    public JsonObject Format(JsonObject data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_target is not null)
        {
            data = ExtractTarget(data, _target);
        }

        if (_flatmap is not null)
        {
            Flatmap.Apply(data, _flatmap);
        }
        else
        {
            if (_allow is not null)
            {
                Prune(_allow, data);
            }
            else if (_deny is not null)
            {
                DeleteDenied(_deny, data);
            }

            foreach (var (from, to) in _mapping)
            {
                if (data.TryGetPropertyValue(from, out var value))
                {
                    data.Remove(from);

                    // Lura assigns the new key, then deletes the old one: a mapping onto the same name removes it.
                    if (!string.Equals(from, to, StringComparison.Ordinal))
                    {
                        data[to] = value;
                    }
                }
            }
        }

        return _group is null ? data : new JsonObject { [_group] = data };
    }

    private static string FirstSegment(string name)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? name : name[..dot];
    }

    /// <summary>The object at the path, detached from its parent; <c>{}</c> when a step is missing or not an object.</summary>
    private static JsonObject ExtractTarget(JsonObject data, string[] path)
    {
        var current = data;
        foreach (var key in path)
        {
            if (!current.TryGetPropertyValue(key, out var value) || value is not JsonObject next)
            {
                return [];
            }

            current = next;
        }

        if (current.Parent is JsonObject parent)
        {
            parent.Remove(path[^1]);
        }

        return current;
    }

    /// <summary>
    /// Lura's allow tree. Entries are added in order and a later one wins where they overlap: <c>["a", "a.b"]</c>
    /// keeps only <c>a.b</c>, <c>["a.b", "a"]</c> keeps all of <c>a</c>.
    /// </summary>
    private static PathTree BuildAllowTree(string[] allow)
    {
        var root = new PathTree();
        foreach (var entry in allow)
        {
            var fields = entry.Split('.');
            var node = root;
            var i = 0;
            for (; i < fields.Length - 1 && node.Children.TryGetValue(fields[i], out var existing) && existing is not null; i++)
            {
                node = existing;
            }

            for (; i < fields.Length - 1; i++)
            {
                var created = new PathTree();
                node.Children[fields[i]] = created;
                node = created;
            }

            node.Children[fields[^1]] = null;
        }

        return root;
    }

    /// <summary>Lura's deny tree: deleting a key covers everything below it, whatever the order of the entries.</summary>
    private static PathTree BuildDenyTree(string[] deny)
    {
        var root = new PathTree();
        foreach (var entry in deny)
        {
            var fields = entry.Split('.');
            var node = root;
            for (var i = 0; i < fields.Length; i++)
            {
                if (i == fields.Length - 1)
                {
                    node.Children[fields[i]] = null;
                    break;
                }

                if (node.Children.TryGetValue(fields[i], out var existing))
                {
                    if (existing is null)
                    {
                        break;
                    }

                    node = existing;
                    continue;
                }

                var created = new PathTree();
                node.Children[fields[i]] = created;
                node = created;
            }
        }

        return root;
    }

    /// <summary>
    /// Keeps only the allowed keys of <paramref name="obj"/>. Only objects are walked: a key allowed with a sub-path
    /// whose value is not an object (an array, say), or whose object ends up empty, is deleted. Returns true when
    /// nothing was kept.
    /// </summary>
    private static bool Prune(PathTree allow, JsonObject obj)
    {
        List<string>? remove = null;
        var keptAny = false;
        foreach (var (key, value) in obj)
        {
            var keep = allow.Children.TryGetValue(key, out var sub)
                && (sub is null || (value is JsonObject child && !Prune(sub, child)));
            if (keep)
            {
                keptAny = true;
            }
            else
            {
                (remove ??= []).Add(key);
            }
        }

        if (remove is not null)
        {
            foreach (var key in remove)
            {
                obj.Remove(key);
            }
        }

        return !keptAny;
    }

    /// <summary>Deletes the denied keys, walking nested objects only (never arrays); emptied objects stay as <c>{}</c>.</summary>
    private static void DeleteDenied(PathTree deny, JsonObject obj)
    {
        foreach (var (key, sub) in deny.Children)
        {
            if (!obj.TryGetPropertyValue(key, out var value))
            {
                continue;
            }

            if (sub is null)
            {
                obj.Remove(key);
            }
            else if (value is JsonObject child)
            {
                DeleteDenied(sub, child);
            }
        }
    }

    /// <summary>Dot paths as a tree; a null child means the whole value under that key.</summary>
    private sealed class PathTree
    {
        public Dictionary<string, PathTree?> Children { get; } = new(StringComparer.Ordinal);
    }
}
