using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using TextEncoding = System.Text.Encoding;

namespace FunctionApp.Gateway.Encoding;

/// <summary>
/// KrakenD's backend decoders (<c>lura:encoding</c>): the body is read whole, up to <see cref="MaxBodyBytes"/>,
/// and turned into the response data map.
/// <list type="bullet">
/// <item><c>json</c>: the body must be an object; with <c>is_collection</c> it must be an array, which is placed
/// under <c>collection</c>.</item>
/// <item><c>safejson</c>: an object stays, an array goes under <c>collection</c> and a scalar under
/// <c>result</c>, with or without <c>is_collection</c>.</item>
/// <item><c>string</c>: the whole body, as UTF-8 text, goes under <c>content</c>.</item>
/// <item><c>no-op</c>: nothing is read and there is no data.</item>
/// <item>Any other name falls back to <c>json</c>, as KrakenD's decoder registry does.</item>
/// </list>
/// Like Go's <c>json.Decoder</c>, only the first JSON value is read (anything after it is ignored), numbers keep
/// their literal text, and the last of duplicate keys wins.
/// </summary>
public static class ResponseDecoder
{
    public const int MaxBodyBytes = 32 * 1024 * 1024;

    public const string CollectionKey = "collection";
    public const string ContentKey = "content";

    /// <summary>Where <c>safejson</c> puts a scalar body (<c>lura:encoding/encoding.go</c> SafeJSONDecoder).</summary>
    public const string ResultKey = "result";

    private const int InitialBufferBytes = 16 * 1024;

    private const string ObjectTarget = "map[string]interface {}";
    private const string ArrayTarget = "[]interface {}";

    public static ValueTask<DecodeResult> DecodeAsync(string encoding, bool isCollection, Stream body, CancellationToken cancellationToken) =>
        DecodeAsync(encoding, isCollection, body, MaxBodyBytes, cancellationToken);

    internal static ValueTask<DecodeResult> DecodeAsync(string encoding, bool isCollection, Stream body, int maxBodyBytes, CancellationToken cancellationToken) =>
        ReadAndDecodeAsync(encoding, isCollection, body, maxBodyBytes, deferObject: false, cancellationToken);

    /// <summary>
    /// As <see cref="DecodeAsync(string, bool, Stream, CancellationToken)"/>, but a JSON object body that
    /// <see cref="ParsedJsonObject.TryParse"/> accepts comes back as <see cref="DecodeResult.Parsed"/> instead of
    /// <see cref="DecodeResult.Data"/> (only for the <c>json</c> decoder without <c>is_collection</c>).
    /// </summary>
    internal static ValueTask<DecodeResult> DecodeDeferringObjectAsync(string encoding, bool isCollection, Stream body, CancellationToken cancellationToken) =>
        ReadAndDecodeAsync(encoding, isCollection, body, MaxBodyBytes, deferObject: true, cancellationToken);

    /// <summary>True when <paramref name="encoding"/> selects the <c>json</c> decoder (unknown names fall back to it).</summary>
    internal static bool IsJsonDecoder(string encoding) => encoding is not ("no-op" or "string" or "safejson");

    private static async ValueTask<DecodeResult> ReadAndDecodeAsync(string encoding, bool isCollection, Stream body, int maxBodyBytes, bool deferObject, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(encoding);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBodyBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(maxBodyBytes, Array.MaxLength);

        if (encoding == "no-op")
        {
            return DecodeResult.Success(null);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferBytes, maxBodyBytes + 1));
        try
        {
            // Reading one byte past the limit tells a body that is too large; Content-Length is never trusted.
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length >= maxBodyBytes)
                    {
                        // A separate probe keeps the pooled buffer at the limit instead of the next power of two.
                        if (await body.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) > 0)
                        {
                            return DecodeResult.Failure(TooLarge(maxBodyBytes));
                        }

                        break;
                    }

                    buffer = Grow(buffer, length, maxBodyBytes);
                }

                var window = Math.Min(buffer.Length, maxBodyBytes + 1) - length;
                var read = await body.ReadAsync(buffer.AsMemory(length, window), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBodyBytes)
                {
                    return DecodeResult.Failure(TooLarge(maxBodyBytes));
                }
            }

            if (deferObject && !isCollection && IsJsonDecoder(encoding) && ParsedJsonObject.TryParse(buffer.AsSpan(0, length)) is { } parsed)
            {
                return DecodeResult.Success(null) with { Parsed = parsed };
            }

            return Decode(encoding, isCollection, buffer.AsSpan(0, length));
        }
        catch (IOException e)
        {
            return DecodeResult.Failure(e.Message);
        }
        catch (InvalidDataException e)
        {
            return DecodeResult.Failure(e.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Decodes a complete body already in memory.</summary>
    internal static DecodeResult Decode(string encoding, bool isCollection, ReadOnlySpan<byte> body)
    {
        switch (encoding)
        {
            case "no-op":
                return DecodeResult.Success(null);
            case "string":
                // GetString keeps a leading BOM and turns invalid UTF-8 into U+FFFD, as Go's rendering of string(body) does.
                return DecodeResult.Success(new JsonObject { [ContentKey] = TextEncoding.UTF8.GetString(body) });
            case "safejson":
                return DecodeSafeJson(body);
            default:
                return isCollection ? DecodeJsonCollection(body) : DecodeJsonObject(body);
        }
    }

    private static DecodeResult DecodeJsonObject(ReadOnlySpan<byte> body)
    {
        if (!TryParse(body, out var root, out var error))
        {
            return DecodeResult.Failure(error);
        }

        return root.ValueKind switch
        {
            JsonValueKind.Object => DecodeResult.Success(ToObject(root)),
            JsonValueKind.Null => DecodeResult.Success(null),
            _ => DecodeResult.Failure(TypeMismatch(root.ValueKind, ObjectTarget)),
        };
    }

    private static DecodeResult DecodeJsonCollection(ReadOnlySpan<byte> body)
    {
        if (!TryParse(body, out var root, out var error))
        {
            return DecodeResult.Failure(error);
        }

        return root.ValueKind switch
        {
            JsonValueKind.Array => DecodeResult.Success(new JsonObject { [CollectionKey] = ToArray(root) }),

            // Go decodes null into a nil slice without an error.
            JsonValueKind.Null => DecodeResult.Success(new JsonObject { [CollectionKey] = null }),
            _ => DecodeResult.Failure(TypeMismatch(root.ValueKind, ArrayTarget)),
        };
    }

    private static DecodeResult DecodeSafeJson(ReadOnlySpan<byte> body)
    {
        if (!TryParse(body, out var root, out var error))
        {
            return DecodeResult.Failure(error);
        }

        return root.ValueKind switch
        {
            JsonValueKind.Object => DecodeResult.Success(ToObject(root)),
            JsonValueKind.Array => DecodeResult.Success(new JsonObject { [CollectionKey] = ToArray(root) }),
            _ => DecodeResult.Success(new JsonObject { [ResultKey] = ToNode(root) }),
        };
    }

    /// <summary>Parses the first JSON value of the body; whatever follows it is not read, as with Go's decoder.</summary>
    private static bool TryParse(ReadOnlySpan<byte> body, out JsonElement root, out string error)
    {
        if (IsBlank(body))
        {
            root = default;
            error = "EOF";
            return false;
        }

        var reader = new Utf8JsonReader(body);
        try
        {
            // ParseValue copies just this value into a document of its own, which outlives the pooled body buffer.
            root = JsonElement.ParseValue(ref reader);
            error = string.Empty;
            return true;
        }
        catch (JsonException e)
        {
            root = default;
            error = e.Message;
            return false;
        }
    }

    private static string TooLarge(int maxBodyBytes) => $"response body exceeds the {maxBodyBytes} byte limit";

    private static bool IsBlank(ReadOnlySpan<byte> body) => body.IndexOfAnyExcept(" \t\r\n"u8) < 0;

    /// <summary>Go's message for a body of the wrong JSON type, e.g. <c>json: cannot unmarshal array into Go value of type map[string]interface {}</c>.</summary>
    private static string TypeMismatch(JsonValueKind kind, string target)
    {
        var found = kind switch
        {
            JsonValueKind.Object => "object",
            JsonValueKind.Array => "array",
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            _ => "bool",
        };
        return $"json: cannot unmarshal {found} into Go value of type {target}";
    }

    /// <summary>
    /// Builds the object eagerly, the last of duplicate keys winning as in Go (a lazily parsed
    /// <see cref="JsonObject"/> would throw on duplicates). Scalars stay backed by their element, so numbers keep
    /// their literal text. Depth is bounded by the reader's limit (64).
    /// </summary>
    internal static JsonObject ToObject(JsonElement element)
    {
        var result = new JsonObject();
        foreach (var property in element.EnumerateObject())
        {
            result[property.Name] = ToNode(property.Value);
        }

        return result;
    }

    private static JsonArray ToArray(JsonElement element)
    {
        var result = new JsonArray();
        foreach (var item in element.EnumerateArray())
        {
            result.Add(ToNode(item));
        }

        return result;
    }

    private static JsonNode? ToNode(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => ToObject(element),
        JsonValueKind.Array => ToArray(element),
        JsonValueKind.Null => null,
        _ => JsonValue.Create(element),
    };

    private static byte[] Grow(byte[] buffer, int length, int cap)
    {
        var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, cap));
        buffer.AsSpan(0, length).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(buffer);
        return grown;
    }
}
