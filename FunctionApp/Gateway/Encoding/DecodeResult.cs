using System.Text.Json.Nodes;

namespace FunctionApp.Gateway.Encoding;

/// <summary>
/// The outcome of decoding a backend body: <paramref name="Error"/> is null on success. A successful result can
/// still carry null <paramref name="Data"/>: the <c>no-op</c> encoding decodes nothing, and Go decodes a body of
/// <c>null</c> into a nil map without an error.
/// </summary>
public readonly record struct DecodeResult(JsonObject? Data, string? Error)
{
    public bool IsSuccess => Error is null;

    /// <summary>
    /// Instead of <see cref="Data"/>, the object still as parsed JSON, when the caller asked for that and the body
    /// allowed it (see <see cref="ParsedJsonObject"/>). The caller owns it.
    /// </summary>
    internal ParsedJsonObject? Parsed { get; init; }

    internal static DecodeResult Success(JsonObject? data) => new(data, null);

    internal static DecodeResult Failure(string error) => new(null, error);
}
