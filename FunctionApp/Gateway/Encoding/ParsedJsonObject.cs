using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace FunctionApp.Gateway.Encoding;

/// <summary>
/// A backend's JSON object (or several, merged in backend order) kept as parsed JSON over pooled memory until someone
/// needs it as a <see cref="JsonObject"/>. Endpoints whose response is only rendered back to JSON (no filtering,
/// mapping, flatmap, static data or sequence) render it from here, without building the node tree:
/// <see cref="WriteTo"/> writes exactly the bytes <see cref="JsonRenderer"/> writes for <see cref="ToJsonObject"/>
/// (members sorted by code point at every level, the last of duplicate names winning, later parts winning over earlier
/// ones at the top level, values written from their elements as the nodes would be).
/// <para>
/// Only objects whose property names, at every depth, are unescaped and valid UTF-8 are kept this way
/// (<see cref="TryParse"/> returns null otherwise, and the caller decodes eagerly as before): their raw bytes then
/// order and compare exactly as the decoded names do. Dispose returns the pooled memory, unless
/// <see cref="ToJsonObject"/> handed the documents to nodes.
/// </para>
/// </summary>
internal sealed class ParsedJsonObject : IDisposable
{
    private static readonly Comparison<Member> ByNameThenPosition = static (a, b) =>
    {
        var byName = JsonMarshal.GetRawUtf8PropertyName(a.Property).SequenceCompareTo(JsonMarshal.GetRawUtf8PropertyName(b.Property));
        return byName != 0 ? byName : a.Position.CompareTo(b.Position);
    };

    private Part[] _parts;

    private ParsedJsonObject(Part[] parts) => _parts = parts;

    /// <summary>True when some part has a member: what <c>Data.Count &gt; 0</c> would say.</summary>
    public bool HasMembers
    {
        get
        {
            foreach (var part in _parts)
            {
                if (part.Document.RootElement.GetPropertyCount() > 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// Parses the first JSON value of <paramref name="body"/> when it is an object whose property names are all
    /// unescaped, valid UTF-8; null otherwise (any other value, an invalid document, or such a name), so that the eager
    /// decoder handles it with its own results and messages. The bytes are copied: <paramref name="body"/> may be
    /// reused once this returns.
    /// </summary>
    public static ParsedJsonObject? TryParse(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (true)
            {
                if (!reader.Read())
                {
                    return null;
                }

                if (reader.TokenType == JsonTokenType.PropertyName && (reader.ValueIsEscaped || !Utf8.IsValid(reader.ValueSpan)))
                {
                    return null;
                }

                if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0)
                {
                    break;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }

        // Like Go's decoder, only this first value counts: whatever follows it is not parsed.
        var length = checked((int)reader.BytesConsumed);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        body[..length].CopyTo(buffer);
        try
        {
            return new ParsedJsonObject([new Part(JsonDocument.Parse(buffer.AsMemory(0, length)), buffer)]);
        }
        catch (JsonException)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return null;
        }
    }

    /// <summary>Merges parts in order (a later one wins a top-level name), taking them over: the inputs become empty.</summary>
    public static ParsedJsonObject Combine(IReadOnlyList<ParsedJsonObject> objects)
    {
        var count = 0;
        foreach (var source in objects)
        {
            count += source._parts.Length;
        }

        var parts = new Part[count];
        var i = 0;
        foreach (var source in objects)
        {
            source._parts.CopyTo(parts, i);
            i += source._parts.Length;
            source._parts = [];
        }

        return new ParsedJsonObject(parts);
    }

    /// <summary>
    /// The data as the eager decoder and the merge would have built it. The nodes keep the documents: from here on
    /// they are garbage-collected, never returned to the pool.
    /// </summary>
    public JsonObject ToJsonObject()
    {
        var parts = _parts;
        _parts = [];
        if (parts.Length == 1)
        {
            return ResponseDecoder.ToObject(parts[0].Document.RootElement);
        }

        // MergeMiddleware's shallow merge: later parts overwrite a name in place, keeping its first position.
        var merged = new JsonObject();
        foreach (var part in parts)
        {
            var data = ResponseDecoder.ToObject(part.Document.RootElement);
            var members = new KeyValuePair<string, JsonNode?>[data.Count];
            for (var i = 0; i < members.Length; i++)
            {
                members[i] = data.GetAt(i);
            }

            data.Clear();
            foreach (var (key, value) in members)
            {
                merged[key] = value;
            }
        }

        return merged;
    }

    /// <summary>Renders the object as <see cref="JsonRenderer"/> renders <see cref="ToJsonObject"/>'s result.</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = JsonRenderer.RentWriter(output);
        try
        {
            if (_parts.Length == 1)
            {
                var root = _parts[0].Document.RootElement;
                WriteObject(writer, new ReadOnlySpan<JsonElement>(in root));
            }
            else
            {
                var roots = ArrayPool<JsonElement>.Shared.Rent(_parts.Length);
                for (var i = 0; i < _parts.Length; i++)
                {
                    roots[i] = _parts[i].Document.RootElement;
                }

                WriteObject(writer, roots.AsSpan(0, _parts.Length));
                roots.AsSpan(0, _parts.Length).Clear();
                ArrayPool<JsonElement>.Shared.Return(roots);
            }

            writer.Flush();
        }
        finally
        {
            JsonRenderer.ReturnWriter(writer);
        }
    }

    public void Dispose()
    {
        var parts = _parts;
        _parts = [];
        foreach (var part in parts)
        {
            part.Document.Dispose();
            ArrayPool<byte>.Shared.Return(part.Buffer);
        }
    }

    /// <summary>The members of <paramref name="objects"/> as one object: sorted by name, the last of equal names written.</summary>
    private static void WriteObject(Utf8JsonWriter writer, ReadOnlySpan<JsonElement> objects)
    {
        writer.WriteStartObject();
        var count = 0;
        foreach (var element in objects)
        {
            count += element.GetPropertyCount();
        }

        if (count > 0)
        {
            var members = ArrayPool<Member>.Shared.Rent(count);
            var position = 0;
            foreach (var element in objects)
            {
                foreach (var property in element.EnumerateObject())
                {
                    members[position] = new Member(property, position);
                    position++;
                }
            }

            var sorted = members.AsSpan(0, count);
            sorted.Sort(ByNameThenPosition);
            for (var i = 0; i < sorted.Length; i++)
            {
                var name = JsonMarshal.GetRawUtf8PropertyName(sorted[i].Property);
                if (i + 1 < sorted.Length && name.SequenceEqual(JsonMarshal.GetRawUtf8PropertyName(sorted[i + 1].Property)))
                {
                    continue; // a later member of the same name wins
                }

                writer.WritePropertyName(name);
                WriteValue(writer, sorted[i].Property.Value);
            }

            sorted.Clear();
            ArrayPool<Member>.Shared.Return(members);
        }

        writer.WriteEndObject();
    }

    /// <summary>A value as <see cref="JsonRenderer"/> writes the node the eager decoder makes of it.</summary>
    private static void WriteValue(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(writer, new ReadOnlySpan<JsonElement>(in element));
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.Null:
                writer.WriteNullValue();
                break;
            default:
                // What a JsonValue backed by this element writes: its original text.
                element.WriteTo(writer);
                break;
        }
    }

    private readonly record struct Part(JsonDocument Document, byte[] Buffer);

    private readonly record struct Member(JsonProperty Property, int Position);
}
