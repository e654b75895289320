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

    /// <summary>Objects that render in insertion order: Go structs (such as <c>error_&lt;name&gt;</c> details), not maps.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<JsonObject, object> InsertionOrdered = [];

    /// <summary>Marks <paramref name="obj"/> to render its keys in insertion order instead of sorted.</summary>
    public static void PreserveOrder(JsonObject obj) => InsertionOrdered.AddOrUpdate(obj, InsertionOrdered);

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
        if (obj.Count > 0 && InsertionOrdered.TryGetValue(obj, out _))
        {
            foreach (var (key, value) in obj)
            {
                writer.WritePropertyName(key);
                WriteNode(writer, value);
            }
        }
        else if (obj.Count > 0)
        {
            var keys = ArrayPool<string>.Shared.Rent(obj.Count);
            var count = 0;
            foreach (var (key, _) in obj)
            {
                keys[count++] = key;
            }

            Array.Sort(keys, 0, count, CodePointComparer.Instance);
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
}
