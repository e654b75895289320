using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FunctionApp.Gateway.Encoding;

/// <summary>
/// Renders response data as KrakenD's <c>xml</c> output encoding does (<c>krakend-xml</c>, which writes the map with
/// the <c>mxj</c> library, character escaping on, no XML declaration):
/// <list type="bullet">
/// <item>the root is the single top-level key, otherwise <c>doc</c>; a single key holding an array of non-objects
/// goes under <c>doc</c> too, while an array of objects repeats the key as the root element once per item;</item>
/// <item>object members become child elements in code point order of their names; an array repeats its element
/// once per item; null, an empty string and an empty object become a self-closing element;</item>
/// <item>members named <c>-name</c> become attributes (the decoder's convention) and <c>#text</c> next to them the
/// element's text;</item>
/// <item>text escapes <c>&amp; &lt; &gt; " '</c>; numbers are written as their literal JSON text.</item>
/// </list>
/// </summary>
internal static class XmlRenderer
{
    public const string ContentType = "application/xml";

    private const string DefaultRoot = "doc";
    private const string TextKey = "#text";

    /// <summary>
    /// Writes the document, or nothing when an attribute member holds a null, an object or an array (mxj fails on
    /// those and KrakenD then sends an empty body).
    /// </summary>
    public static void Write(IBufferWriter<byte> output, JsonObject? data)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (data is null || data.Count == 0)
        {
            WriteStartTag(output, DefaultRoot);
            output.Write("/>"u8);
            return;
        }

        if (!HasValidAttributes(data))
        {
            return;
        }

        if (data.Count == 1)
        {
            foreach (var (name, value) in data)
            {
                if (value is not JsonArray array || AllObjects(array))
                {
                    WriteElement(output, name, value);
                    return;
                }
            }
        }

        WriteObjectElement(output, DefaultRoot, data);
    }

    private static void WriteElement(IBufferWriter<byte> output, string name, JsonNode? node)
    {
        switch (node)
        {
            case JsonArray array:
                foreach (var item in array)
                {
                    WriteElement(output, name, item);
                }

                break;
            case JsonObject obj:
                WriteObjectElement(output, name, obj);
                break;
            case JsonValue value when value.GetValueKind() != JsonValueKind.Null:
                if (value.GetValueKind() == JsonValueKind.String && value.GetValue<string>().Length == 0)
                {
                    WriteEmptyElement(output, name);
                    break;
                }

                WriteStartTag(output, name);
                Utf8Output.WriteByte(output, (byte)'>');
                WriteScalar(output, value);
                WriteEndTag(output, name);
                break;
            default:
                WriteEmptyElement(output, name);
                break;
        }
    }

    private static void WriteObjectElement(IBufferWriter<byte> output, string name, JsonObject obj)
    {
        WriteStartTag(output, name);
        using var members = new SortedMembers(obj);
        var attributes = 0;
        for (var i = 0; i < members.Count; i++)
        {
            if (IsAttribute(members.NameAt(i)))
            {
                Utf8Output.WriteByte(output, (byte)' ');
                Utf8Output.WriteText(output, members.NameAt(i).AsSpan(1));
                output.Write("=\""u8);
                WriteScalar(output, (JsonValue)members.ValueAt(i)!);
                Utf8Output.WriteByte(output, (byte)'"');
                attributes++;
            }
        }

        if (attributes == members.Count)
        {
            output.Write("/>"u8);
            return;
        }

        Utf8Output.WriteByte(output, (byte)'>');
        if (attributes + 1 == members.Count && obj.TryGetPropertyValue(TextKey, out var text))
        {
            if (text is JsonValue textValue)
            {
                WriteScalar(output, textValue);
            }
        }
        else
        {
            for (var i = 0; i < members.Count; i++)
            {
                if (!IsAttribute(members.NameAt(i)))
                {
                    WriteElement(output, members.NameAt(i), members.ValueAt(i));
                }
            }
        }

        WriteEndTag(output, name);
    }

    private static void WriteScalar(IBufferWriter<byte> output, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                WriteEscaped(output, value.GetValue<string>());
                break;
            case JsonValueKind.True:
                output.Write("true"u8);
                break;
            case JsonValueKind.False:
                output.Write("false"u8);
                break;
            case JsonValueKind.Number:
                Utf8Output.WriteJsonLiteral(output, value);
                break;
        }
    }

    private static void WriteEscaped(IBufferWriter<byte> output, ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            var index = text.IndexOfAny("&<>\"'");
            if (index < 0)
            {
                Utf8Output.WriteText(output, text);
                return;
            }

            Utf8Output.WriteText(output, text[..index]);
            output.Write(text[index] switch
            {
                '&' => "&amp;"u8,
                '<' => "&lt;"u8,
                '>' => "&gt;"u8,
                '"' => "&quot;"u8,
                _ => "&apos;"u8,
            });
            text = text[(index + 1)..];
        }
    }

    private static void WriteStartTag(IBufferWriter<byte> output, string name)
    {
        Utf8Output.WriteByte(output, (byte)'<');
        Utf8Output.WriteText(output, name);
    }

    private static void WriteEndTag(IBufferWriter<byte> output, string name)
    {
        output.Write("</"u8);
        Utf8Output.WriteText(output, name);
        Utf8Output.WriteByte(output, (byte)'>');
    }

    private static void WriteEmptyElement(IBufferWriter<byte> output, string name)
    {
        WriteStartTag(output, name);
        output.Write("/>"u8);
    }

    private static bool IsAttribute(string name) => name.Length > 1 && name[0] == '-';

    private static bool AllObjects(JsonArray array)
    {
        foreach (var item in array)
        {
            if (item is not JsonObject)
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasValidAttributes(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    if (IsAttribute(name)
                        ? value is not JsonValue attribute || attribute.GetValueKind() is JsonValueKind.Null
                        : !HasValidAttributes(value))
                    {
                        return false;
                    }
                }

                return true;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (!HasValidAttributes(item))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return true;
        }
    }
}
