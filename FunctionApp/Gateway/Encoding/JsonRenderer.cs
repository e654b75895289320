using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FunctionApp.Gateway.Encoding;

/// <summary>
/// Renders response data as KrakenD does (Go's <c>encoding/json</c> over maps): compact, object keys sorted by
/// ordinal order at every level, numbers exactly as the backend wrote them, <c>&lt;</c>, <c>&gt;</c> and
/// <c>&amp;</c> escaped, other non-ASCII text written as UTF-8.
/// </summary>
public static class JsonRenderer
{
    public const string ContentType = "application/json; charset=utf-8";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = GoJsonEncoder.Instance,
        Indented = false,
        SkipValidation = true,
    };

    public static void Write(IBufferWriter<byte> output, JsonNode? node)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        WriteNode(writer, node);
        writer.Flush();
    }

    private static void WriteNode(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                WriteObject(writer, obj);
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    WriteNode(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                // A value parsed from the backend is backed by its JsonElement and writes its original text.
                node.WriteTo(writer);
                break;
        }
    }

    private static void WriteObject(Utf8JsonWriter writer, JsonObject obj)
    {
        writer.WriteStartObject();
        if (obj.Count > 0)
        {
            var keys = ArrayPool<string>.Shared.Rent(obj.Count);
            var count = 0;
            foreach (var (key, _) in obj)
            {
                keys[count++] = key;
            }

            Array.Sort(keys, 0, count, Utf8Order.Instance);
            for (var i = 0; i < count; i++)
            {
                writer.WritePropertyName(keys[i]);
                WriteNode(writer, obj[keys[i]]);
            }

            Array.Clear(keys, 0, count);
            ArrayPool<string>.Shared.Return(keys);
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// Orders strings by their UTF-8 bytes (i.e. by code point), as Go sorts map keys. Ordinal UTF-16 order differs
    /// for characters above U+FFFF, whose surrogates (D800–DFFF) would sort before U+E000–U+FFFF.
    /// </summary>
    private sealed class Utf8Order : IComparer<string>
    {
        public static readonly Utf8Order Instance = new();

        public int Compare(string? x, string? y)
        {
            var a = x.AsSpan();
            var b = y.AsSpan();
            var length = Math.Min(a.Length, b.Length);
            for (var i = 0; i < length; i++)
            {
                if (a[i] != b[i])
                {
                    return CodePointOrder(a[i]) - CodePointOrder(b[i]);
                }
            }

            return a.Length - b.Length;
        }

        /// <summary>Moves surrogates above every other UTF-16 unit, which puts the units in code point order.</summary>
        private static int CodePointOrder(char c) => c < 0xD800 ? c : c < 0xE000 ? c + 0x2000 : c - 0x800;
    }
}
