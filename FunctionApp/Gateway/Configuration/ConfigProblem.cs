namespace FunctionApp.Gateway.Configuration;

/// <summary>One problem found in a krakend.json, located by its JSON path (e.g. <c>endpoints[3].backend[0].url_pattern</c>).</summary>
public sealed record ConfigProblem(string Path, string Message)
{
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}

/// <summary>Thrown when a configuration cannot be loaded; carries every problem found, not just the first.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string source, IReadOnlyList<ConfigProblem> problems)
        : base(FormatMessage(source, problems))
    {
        Source = source;
        Problems = problems;
    }

    public new string Source { get; }

    public IReadOnlyList<ConfigProblem> Problems { get; }

    private static string FormatMessage(string source, IReadOnlyList<ConfigProblem> problems)
    {
        var lines = new List<string>(problems.Count + 1) { $"invalid configuration {source}:" };
        foreach (var problem in problems)
        {
            lines.Add("  " + problem);
        }

        return string.Join(Environment.NewLine, lines);
    }
}
