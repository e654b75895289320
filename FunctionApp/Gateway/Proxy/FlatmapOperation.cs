using System.Text.Json;
using FunctionApp.Gateway.Configuration;

namespace FunctionApp.Gateway.Proxy;

/// <summary>The operations of KrakenD's <c>proxy.flatmap_filter</c> (library <c>krakend/flatmap</c>).</summary>
public enum FlatmapOperationType
{
    /// <summary><c>[from, to]</c>: renames, embeds or extracts a value.</summary>
    Move,

    /// <summary><c>[path, …]</c>: deletes every value matching each path.</summary>
    Del,

    /// <summary><c>[from, to]</c>: appends the array at <c>from</c> to the array at <c>to</c>, then deletes <c>from</c>.</summary>
    Append,
}

/// <summary>
/// One validated flatmap operation. Each argument is a path already split on <c>.</c>, where <c>*</c> matches every
/// child (array element or object property) and a number names an array element.
/// </summary>
public sealed record FlatmapOperation(FlatmapOperationType Type, string[][] Args)
{
    /// <summary>
    /// Validates a <c>flatmap_filter</c> value (an array of <c>{"type": "move"|"del"|"append", "args": [strings]}</c>)
    /// and reports every problem with its JSON path; <paramref name="path"/> is the path of the value itself.
    /// Returns the operations (an empty list means no flatmap, as in Lura), or null when a problem was reported.
    /// </summary>
    public static IReadOnlyList<FlatmapOperation>? TryParse(JsonElement flatmapFilter, string path, List<ConfigProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(problems);
        if (flatmapFilter.ValueKind != JsonValueKind.Array)
        {
            problems.Add(new ConfigProblem(path, "must be an array of operations"));
            return null;
        }

        var problemsBefore = problems.Count;
        var operations = new List<FlatmapOperation>();
        var index = 0;
        foreach (var item in flatmapFilter.EnumerateArray())
        {
            if (ParseOperation(item, $"{path}[{index}]", problems) is { } operation)
            {
                operations.Add(operation);
            }

            index++;
        }

        return problems.Count == problemsBefore ? operations : null;
    }

    private static FlatmapOperation? ParseOperation(JsonElement item, string path, List<ConfigProblem> problems)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new ConfigProblem(path, "must be an object with type and args"));
            return null;
        }

        JsonElement? typeValue = null;
        JsonElement? argsValue = null;
        foreach (var property in item.EnumerateObject())
        {
            switch (property.Name)
            {
                case "type":
                    typeValue = property.Value;
                    break;
                case "args":
                    argsValue = property.Value;
                    break;
                default:
                    if (!IsIgnoredKey(property.Name))
                    {
                        problems.Add(new ConfigProblem($"{path}.{property.Name}", "is not a flatmap operation property (type, args)"));
                    }

                    break;
            }
        }

        var type = ParseType(typeValue, path + ".type", problems);
        var args = ParseArgs(type, argsValue, path + ".args", problems);
        return type is null || args is null ? null : new FlatmapOperation(type.Value, args);
    }

    private static FlatmapOperationType? ParseType(JsonElement? value, string path, List<ConfigProblem> problems)
    {
        if (value is null)
        {
            problems.Add(new ConfigProblem(path, "is required (move, del or append)"));
            return null;
        }

        if (value.Value.ValueKind != JsonValueKind.String)
        {
            problems.Add(new ConfigProblem(path, "must be a string: move, del or append"));
            return null;
        }

        var text = value.Value.GetString();
        switch (text)
        {
            case "move":
                return FlatmapOperationType.Move;
            case "del":
                return FlatmapOperationType.Del;
            case "append":
                return FlatmapOperationType.Append;
            default:
                problems.Add(new ConfigProblem(path, $"\"{text}\" is not a flatmap operation (move, del or append)"));
                return null;
        }
    }

    private static string[][]? ParseArgs(FlatmapOperationType? type, JsonElement? value, string path, List<ConfigProblem> problems)
    {
        if (value is null)
        {
            problems.Add(new ConfigProblem(path, "is required"));
            return null;
        }

        if (value.Value.ValueKind != JsonValueKind.Array)
        {
            problems.Add(new ConfigProblem(path, "must be an array of strings"));
            return null;
        }

        var problemsBefore = problems.Count;
        var args = new string[value.Value.GetArrayLength()][];
        var index = 0;
        foreach (var arg in value.Value.EnumerateArray())
        {
            if (arg.ValueKind == JsonValueKind.String)
            {
                args[index] = arg.GetString()!.Split('.');
            }
            else
            {
                problems.Add(new ConfigProblem($"{path}[{index}]", "must be a string"));
            }

            index++;
        }

        switch (type)
        {
            case FlatmapOperationType.Move when args.Length != 2:
                problems.Add(new ConfigProblem(path, "move takes 2 arguments"));
                break;
            case FlatmapOperationType.Append when args.Length != 2:
                problems.Add(new ConfigProblem(path, "append takes 2 arguments"));
                break;
            case FlatmapOperationType.Del when args.Length == 0:
                problems.Add(new ConfigProblem(path, "del takes at least 1 argument"));
                break;
        }

        return problems.Count == problemsBefore ? args : null;
    }

    /// <summary>KrakenD's schemas let keys starting with @, $, _ or # through everywhere (comments, annotations).</summary>
    private static bool IsIgnoredKey(string key) => key.Length > 0 && key[0] is '@' or '$' or '_' or '#';
}
