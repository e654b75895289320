using System.Text.Json.Nodes;
using FunctionApp.Tests.Common;
using YamlDotNet.RepresentationModel;

namespace FunctionApp.Tests.Docs;

/// <summary>One fenced code block of a Markdown file: its language, the line its fence starts on, and its text.</summary>
public sealed record FencedBlock(string Language, int Line, string Text);

/// <summary>One <c>## </c> section of <c>docs/integrations.md</c>, with its text and fenced blocks in order.</summary>
public sealed record DocSection(string Heading, int Line, string Text, IReadOnlyList<FencedBlock> Blocks)
{
    /// <summary>The section's one <c>```json</c> block (the recipe's <c>extra_config</c>).</summary>
    public JsonObject RecipeJson()
    {
        var json = Assert.Single(Blocks, b => b.Language == "json");
        var node = JsonNode.Parse(json.Text);
        return Assert.IsType<JsonObject>(node, exactMatch: false);
    }

    /// <summary>The section's one <c>```yaml</c> block.</summary>
    public FencedBlock Yaml() => Assert.Single(Blocks, b => b.Language == "yaml");
}

/// <summary>
/// <c>docs/integrations.md</c> split into its <c>## </c> sections, so each recipe test reads the very block a reader
/// copies: the doc and its test cannot drift apart.
/// </summary>
public static class IntegrationsDoc
{
    public static string Path => System.IO.Path.Combine(GatewayProcess.RepositoryRoot, "docs", "integrations.md");

    public static IReadOnlyList<DocSection> Sections() => Parse(File.ReadAllText(Path));

    /// <summary>The section whose heading starts with <paramref name="heading"/> (e.g. <c>Azure Monitor</c>).</summary>
    public static DocSection Section(string heading) =>
        Assert.Single(Sections(), s => s.Heading.StartsWith(heading, StringComparison.Ordinal));

    public static IReadOnlyList<DocSection> Parse(string markdown)
    {
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var sections = new List<DocSection>();
        string? heading = null;
        var headingLine = 0;
        var text = new List<string>();
        var blocks = new List<FencedBlock>();

        void Close()
        {
            if (heading is not null)
            {
                sections.Add(new DocSection(heading, headingLine, string.Join('\n', text), [.. blocks]));
            }

            text.Clear();
            blocks.Clear();
        }

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd();
            if (line.StartsWith("```", StringComparison.Ordinal) && line.Length > 3)
            {
                var language = line[3..].Trim();
                var end = i + 1;
                while (end < lines.Length && lines[end].TrimEnd() != "```")
                {
                    end++;
                }

                Assert.True(end < lines.Length, $"docs/integrations.md line {i + 1}: unterminated ```{language} block");
                blocks.Add(new FencedBlock(language, i + 1, string.Join('\n', lines[(i + 1)..end])));
                text.AddRange(lines[i..(end + 1)]);
                i = end;
                continue;
            }

            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                Close();
                heading = line[3..].Trim();
                headingLine = i + 1;
                continue;
            }

            text.Add(lines[i]);
        }

        Close();
        return sections;
    }

    /// <summary>
    /// Every leaf where <paramref name="after"/> differs from <paramref name="before"/>, as <c>path: old → new</c>
    /// (paths like <c>extra_config.telemetry/opentelemetry.exporters.otlp[0].port</c>); keys added or removed count too.
    /// </summary>
    public static List<string> Differences(JsonNode? before, JsonNode? after, string path = "")
    {
        var result = new List<string>();
        switch (before, after)
        {
            case (JsonObject a, JsonObject b):
                foreach (var key in a.Select(p => p.Key).Union(b.Select(p => p.Key)).Order(StringComparer.Ordinal))
                {
                    var child = path.Length == 0 ? key : $"{path}.{key}";
                    if (!a.ContainsKey(key) || !b.ContainsKey(key))
                    {
                        result.Add($"{child}: {a[key]?.ToJsonString() ?? "(absent)"} → {b[key]?.ToJsonString() ?? "(absent)"}");
                        continue;
                    }

                    result.AddRange(Differences(a[key], b[key], child));
                }

                break;
            case (JsonArray a, JsonArray b) when a.Count == b.Count:
                for (var i = 0; i < a.Count; i++)
                {
                    result.AddRange(Differences(a[i], b[i], $"{path}[{i}]"));
                }

                break;
            default:
                if (!JsonNode.DeepEquals(before, after))
                {
                    result.Add($"{path}: {before?.ToJsonString() ?? "null"} → {after?.ToJsonString() ?? "null"}");
                }

                break;
        }

        return result;
    }

    /// <summary>Parses one YAML document into YamlDotNet's representation model (a syntax error throws with its position).</summary>
    public static YamlMappingNode ParseYaml(FencedBlock block)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(block.Text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            Assert.Fail($"docs/integrations.md line {block.Line}: not valid YAML: {e.Message}");
        }

        var document = Assert.Single(stream.Documents);
        return Assert.IsType<YamlMappingNode>(document.RootNode);
    }
}

/// <summary>Small accessors over YamlDotNet's representation model.</summary>
public static class YamlNodes
{
    public static YamlMappingNode Map(this YamlMappingNode node, string key)
    {
        Assert.True(node.Children.TryGetValue(new YamlScalarNode(key), out var child), $"YAML: no \"{key}\" under {node.Start}");
        return Assert.IsType<YamlMappingNode>(child);
    }

    public static YamlMappingNode? MapOrNull(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child as YamlMappingNode : null;

    public static string? Scalar(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) && child is YamlScalarNode scalar ? scalar.Value : null;

    public static List<string> Strings(this YamlMappingNode node, string key)
    {
        Assert.True(node.Children.TryGetValue(new YamlScalarNode(key), out var child), $"YAML: no \"{key}\" under {node.Start}");
        return [.. Assert.IsType<YamlSequenceNode>(child).Children.Select(c => Assert.IsType<YamlScalarNode>(c).Value!)];
    }

    public static List<YamlMappingNode> Items(this YamlMappingNode node, string key)
    {
        Assert.True(node.Children.TryGetValue(new YamlScalarNode(key), out var child), $"YAML: no \"{key}\" under {node.Start}");
        return [.. Assert.IsType<YamlSequenceNode>(child).Children.Select(c => Assert.IsType<YamlMappingNode>(c))];
    }

    public static List<string> Keys(this YamlMappingNode node) =>
        [.. node.Children.Keys.Select(k => Assert.IsType<YamlScalarNode>(k).Value!)];
}
