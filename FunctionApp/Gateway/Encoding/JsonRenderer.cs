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

    /// <summary>Sorts members by name in code point order; one cached delegate, so sorting allocates nothing.</summary>
    private static readonly Comparison<KeyValuePair<string, JsonNode?>> ByName = static (a, b) => CodePointComparer.Instance.Compare(a.Key, b.Key);

    /// <summary>A writer per thread, reset onto each output: rendering is synchronous, so it is never shared.</summary>
    [ThreadStatic]
    private static Utf8JsonWriter? _threadWriter;

    public static void Write(IBufferWriter<byte> output, JsonNode? node)
    {
        var writer = RentWriter(output);
        try
        {
            WriteNode(writer, node);
            writer.Flush();
        }
        finally
        {
            ReturnWriter(writer);
        }
    }

    /// <summary>The thread's cached writer reset onto <paramref name="output"/> (a new one when it is in use).</summary>
    internal static Utf8JsonWriter RentWriter(IBufferWriter<byte> output)
    {
        var writer = _threadWriter;
        _threadWriter = null;
        if (writer is null)
        {
            return new Utf8JsonWriter(output, WriterOptions);
        }

        writer.Reset(output);
        return writer;
    }

    internal static void ReturnWriter(Utf8JsonWriter writer)
    {
        // Forget the output (and anything not flushed after a failure) before caching the writer again.
        writer.Reset(NoOutput.Instance);
        _threadWriter = writer;
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
                for (var i = 0; i < array.Count; i++)
                {
                    WriteNode(writer, array[i]);
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
            // Indexed access: enumerating a JsonObject allocates an enumerator.
            var count = obj.Count;
            var members = ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Rent(count);
            for (var i = 0; i < count; i++)
            {
                members[i] = obj.GetAt(i);
            }

            members.AsSpan(0, count).Sort(ByName);
            for (var i = 0; i < count; i++)
            {
                writer.WritePropertyName(members[i].Key);
                WriteNode(writer, members[i].Value);
            }

            Array.Clear(members, 0, count);
            ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Return(members);
        }

        writer.WriteEndObject();
    }

    /// <summary>Where a cached writer points between uses; it is never written to.</summary>
    private sealed class NoOutput : IBufferWriter<byte>
    {
        public static readonly NoOutput Instance = new();

        public void Advance(int count) => throw new InvalidOperationException();

        public Memory<byte> GetMemory(int sizeHint = 0) => throw new InvalidOperationException();

        public Span<byte> GetSpan(int sizeHint = 0) => throw new InvalidOperationException();
    }
}
