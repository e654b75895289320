using System.Text.Json.Serialization;

namespace FunctionApp.Gateway.Configuration;

/// <summary>Source-generated (AOT-safe) serializer metadata for the krakend.json file model.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    PropertyNameCaseInsensitive = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow,
    AllowTrailingCommas = false,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ServiceConfig))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;
