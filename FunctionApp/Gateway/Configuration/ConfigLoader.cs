using System.Text.Json;

namespace FunctionApp.Gateway.Configuration;

/// <summary>Where a configuration came from, for messages.</summary>
public enum ConfigOrigin
{
    CommandLine,
    Setting,
    Embedded,
}

/// <summary>
/// Finds, reads and compiles the krakend.json. The source is, in order: a path given on the command line, the
/// <c>GATEWAY_CONFIG</c> setting (a path, or the JSON itself when it starts with <c>{</c>), the embedded default.
/// </summary>
public static class ConfigLoader
{
    public const string ConfigSetting = "GATEWAY_CONFIG";
    private const string EmbeddedResourceName = "default-krakend.json";

    /// <summary>The embedded default targets the gateway's own address; this is the port it is written for.</summary>
    private const string EmbeddedSelfAddress = "127.0.0.1:8080";

    /// <summary>Reads the configuration text and a description of its source.</summary>
    public static (string Json, string Description, ConfigOrigin Origin) Locate(string? commandLinePath, string? setting)
    {
        if (!string.IsNullOrEmpty(commandLinePath))
        {
            return (ReadFile(commandLinePath), commandLinePath, ConfigOrigin.CommandLine);
        }

        if (!string.IsNullOrWhiteSpace(setting))
        {
            var trimmed = setting.TrimStart();
            return trimmed.StartsWith('{')
                ? (setting, $"from the {ConfigSetting} setting", ConfigOrigin.Setting)
                : (ReadFile(ResolveSettingPath(setting)), setting, ConfigOrigin.Setting);
        }

        return (ReadEmbeddedDefault(), "(embedded default)", ConfigOrigin.Embedded);
    }

    /// <summary>
    /// The embedded default config, rewritten to call the gateway on <paramref name="selfPort"/>. Its OTLP exporter
    /// list is empty unless <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (read through <paramref name="getSetting"/>):
    /// then one exporter without a host takes its endpoint, protocol and headers from the <c>OTEL_*</c> variables, so
    /// a machine without a collector sees no export attempts at all.
    /// </summary>
    public static string ReadEmbeddedDefault(int? selfPort = null, Func<string, string?>? getSetting = null)
    {
        using var stream = typeof(ConfigLoader).Assembly.GetManifestResourceStream(EmbeddedResourceName)
            ?? throw new InvalidOperationException("the embedded default configuration is missing from the build");
        using var reader = new StreamReader(stream);
        var json = reader.ReadToEnd();
        if (selfPort is { } port)
        {
            json = json.Replace(EmbeddedSelfAddress, $"127.0.0.1:{port}", StringComparison.Ordinal);
        }

        if (!string.IsNullOrWhiteSpace(getSetting?.Invoke(OtlpEndpointSetting)))
        {
            json = json.Replace(EmbeddedOtlpList, """
                "otlp": [ { "name": "otlp_from_environment" } ]
                """, StringComparison.Ordinal);
        }

        return json;
    }

    private const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";
    private const string EmbeddedOtlpList = "\"otlp\": []";

    /// <summary>Parses krakend.json text into the file model; JSON and type errors are reported with their path.</summary>
    public static ServiceConfig? Parse(string json, out IReadOnlyList<ConfigProblem> problems)
    {
        try
        {
            var config = JsonSerializer.Deserialize(json, ConfigJsonContext.Default.ServiceConfig);
            if (config is null)
            {
                problems = [new ConfigProblem(string.Empty, "the configuration must be a JSON object")];
                return null;
            }

            problems = [];
            return config;
        }
        catch (JsonException e)
        {
            problems = [Describe(e)];
            return null;
        }
    }

    /// <summary>Parses and compiles; throws <see cref="ConfigException"/> with every problem found.</summary>
    public static GatewayModel Load(string json, string description)
    {
        var config = Parse(json, out var parseProblems);
        if (config is null)
        {
            throw new ConfigException(description, parseProblems);
        }

        var version = Environment.GetEnvironmentVariable(GatewayVersion.VersionSetting);
        if (version is not null && (version.Length > 64 || !HeaderValueIsSafe(version)))
        {
            throw new ConfigException(description, [new ConfigProblem(string.Empty, $"{GatewayVersion.VersionSetting} must be a short header-safe string")]);
        }

        return GatewayModelBuilder.Build(config, out var errors, version) ?? throw new ConfigException(description, errors);
    }

    private static bool HeaderValueIsSafe(string value)
    {
        foreach (var c in value)
        {
            if (c < 0x20 || c > 0x7E)
            {
                return false;
            }
        }

        return true;
    }

    private static ConfigProblem Describe(JsonException e)
    {
        var path = e.Path is null ? string.Empty : e.Path.TrimStart('$').TrimStart('.');
        var where = e.LineNumber is { } line ? $" (line {line + 1}, column {e.BytePositionInLine + 1})" : string.Empty;

        // System.Text.Json's messages name CLR types; say what the JSON should have held instead. With source-generated
        // metadata a wrong primitive names the containing record, and the inner exception says what was wanted.
        var message = e.Message;
        var inner = e.InnerException is JsonException ? string.Empty : e.InnerException?.Message ?? string.Empty;
        var expected = message.StartsWith("The JSON value could not be converted to ", StringComparison.Ordinal) ? Expected(message, inner) : null;
        if (expected is not null)
        {
            return new ConfigProblem(path, expected + where);
        }

        // Syntax errors: keep the parser's own words, without its trailing "Path: ... | LineNumber" part.
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        }

        var text = cut > 0 ? message[..cut] : message;
        return new ConfigProblem(path, "invalid JSON: " + text.TrimEnd(' ', '.', '|') + where);
    }

    private static string? Expected(string message, string inner)
    {
        bool In(string text, string part) => text.Contains(part, StringComparison.Ordinal);

        return true switch
        {
            _ when In(inner, "as a number") || In(inner, "Int32") || In(message, "System.Int32") => "expected a whole number",
            _ when In(inner, "as a boolean") || In(message, "System.Boolean") => "expected true or false",
            _ when In(inner, "as a string") => "expected a string",
            _ when In(message, "Dictionary") => "expected an object",
            _ when In(message, "System.String[]") => "expected an array of strings",
            _ when In(message, "System.String") => "expected a string",
            _ when In(message, "[]") => "expected an array",
            _ when In(message, "Configuration.") => "expected an object",
            _ => null,
        };
    }

    private static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ConfigException(path, [new ConfigProblem(string.Empty, $"cannot read the file: {e.Message}")]);
        }
    }

    private static string ResolveSettingPath(string setting)
    {
        if (Path.IsPathRooted(setting) || File.Exists(setting))
        {
            return setting;
        }

        // In Azure the working directory is the app root, but be explicit for relative paths.
        var appRoot = Environment.GetEnvironmentVariable("FUNCTIONS_APP_ROOT_PATH");
        return appRoot is null ? setting : Path.Combine(appRoot, setting);
    }
}
