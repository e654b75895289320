using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FunctionApp.Gateway.Encoding;

/// <summary>
/// Writes a <see cref="JsonNode"/> as a YAML 1.2 block-style document, close to the default layout of the Go
/// encoders behind gin's YAML render (yaml.v2, goccy/go-yaml); byte equality with them is not a goal:
/// <list type="bullet">
/// <item>mapping keys in code point order, nested mappings indented by 2 spaces;</item>
/// <item>a sequence that is a mapping value starts at the key's own indentation (<c>key:\n- item</c>); a mapping or
/// sequence inside a sequence starts on the dash line (<c>- a: 1\n  b: 2</c>, <c>- - 1\n  - 2</c>);</item>
/// <item>empty mappings and sequences in flow style (<c>{}</c>, <c>[]</c>);</item>
/// <item>numbers as their literal JSON text, <c>true</c>/<c>false</c>/<c>null</c>;</item>
/// <item>strings plain when a YAML reader would read them back as the same string, otherwise double-quoted with
/// escapes (see <see cref="NeedsQuotes"/>); multi-line strings are always double-quoted on one line.</item>
/// </list>
/// The document ends with a newline.
/// </summary>
public static class YamlWriter
{
    public const string ContentType = "application/yaml; charset=utf-8";

    private const int IndentWidth = 2;

    private static readonly string[] ReservedWords = ["y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", "<<"];

    public static void Write(IBufferWriter<byte> output, JsonNode? node)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (node)
        {
            case JsonObject { Count: > 0 } obj:
                WriteMapping(output, obj, 0, startsOnCurrentLine: false);
                break;
            case JsonArray { Count: > 0 } array:
                WriteSequence(output, array, 0, startsOnCurrentLine: false);
                break;
            default:
                WriteInline(output, node);
                Utf8Output.WriteByte(output, (byte)'\n');
                break;
        }
    }

    /// <summary>
    /// True when a string cannot be written as a plain scalar: a YAML 1.1 or 1.2 reader could take it for another
    /// type (number, bool, null, timestamp), for syntax (an indicator character, <c>": "</c>, <c>" #"</c>), or would
    /// lose characters (surrounding spaces, line breaks, control characters).
    /// </summary>
    internal static bool NeedsQuotes(string value)
    {
        if (value.Length == 0 || value[0] == ' ' || value[^1] == ' ' || value[^1] == ':')
        {
            return true;
        }

        if (IsIndicator(value[0]) || LooksLikeNumber(value) || IsReservedWord(value))
        {
            return true;
        }

        if (value.Contains(": ", StringComparison.Ordinal) || value.Contains(" #", StringComparison.Ordinal))
        {
            return true;
        }

        return IndexOfEscape(value, inQuotes: false) >= 0;
    }

    private static void WriteMapping(IBufferWriter<byte> output, JsonObject obj, int indent, bool startsOnCurrentLine)
    {
        using var members = new SortedMembers(obj);
        for (var i = 0; i < members.Count; i++)
        {
            if (i > 0 || !startsOnCurrentLine)
            {
                Utf8Output.WriteSpaces(output, indent);
            }

            WriteString(output, members.NameAt(i));
            switch (members.ValueAt(i))
            {
                case JsonObject { Count: > 0 } child:
                    output.Write(":\n"u8);
                    WriteMapping(output, child, indent + IndentWidth, startsOnCurrentLine: false);
                    break;
                case JsonArray { Count: > 0 } child:
                    output.Write(":\n"u8);
                    WriteSequence(output, child, indent, startsOnCurrentLine: false);
                    break;
                case var value:
                    output.Write(": "u8);
                    WriteInline(output, value);
                    Utf8Output.WriteByte(output, (byte)'\n');
                    break;
            }
        }
    }

    private static void WriteSequence(IBufferWriter<byte> output, JsonArray array, int indent, bool startsOnCurrentLine)
    {
        for (var i = 0; i < array.Count; i++)
        {
            if (i > 0 || !startsOnCurrentLine)
            {
                Utf8Output.WriteSpaces(output, indent);
            }

            output.Write("- "u8);
            switch (array[i])
            {
                case JsonObject { Count: > 0 } child:
                    WriteMapping(output, child, indent + IndentWidth, startsOnCurrentLine: true);
                    break;
                case JsonArray { Count: > 0 } child:
                    WriteSequence(output, child, indent + IndentWidth, startsOnCurrentLine: true);
                    break;
                case var item:
                    WriteInline(output, item);
                    Utf8Output.WriteByte(output, (byte)'\n');
                    break;
            }
        }
    }

    /// <summary>Writes a scalar, or an empty mapping or sequence in flow style.</summary>
    private static void WriteInline(IBufferWriter<byte> output, JsonNode? node)
    {
        switch (node)
        {
            case null:
                output.Write("null"u8);
                break;
            case JsonObject:
                output.Write("{}"u8);
                break;
            case JsonArray:
                output.Write("[]"u8);
                break;
            case JsonValue value:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        WriteString(output, value.GetValue<string>());
                        break;
                    case JsonValueKind.True:
                        output.Write("true"u8);
                        break;
                    case JsonValueKind.False:
                        output.Write("false"u8);
                        break;
                    case JsonValueKind.Null:
                        output.Write("null"u8);
                        break;
                    default:
                        Utf8Output.WriteJsonLiteral(output, value);
                        break;
                }

                break;
        }
    }

    private static void WriteString(IBufferWriter<byte> output, string value)
    {
        if (!NeedsQuotes(value))
        {
            Utf8Output.WriteText(output, value);
            return;
        }

        Utf8Output.WriteByte(output, (byte)'"');
        var text = value.AsSpan();
        while (!text.IsEmpty)
        {
            var run = IndexOfEscape(text, inQuotes: true);
            if (run < 0)
            {
                Utf8Output.WriteText(output, text);
                break;
            }

            Utf8Output.WriteText(output, text[..run]);
            WriteEscape(output, text[run]);
            text = text[(run + 1)..];
        }

        Utf8Output.WriteByte(output, (byte)'"');
    }

    /// <summary>
    /// The index of the first character that needs an escape: C0 and C1 controls, DEL, line and paragraph
    /// separators, the BOM and lone surrogates, plus the quote and the backslash inside double quotes. Surrogate
    /// pairs are written as they are.
    /// </summary>
    private static int IndexOfEscape(ReadOnlySpan<char> text, bool inQuotes)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            if (c < 0x20 || c is (>= '\u007F' and <= '\u009F') or '\u2028' or '\u2029' or '\uFEFF' || char.IsSurrogate(c) || (inQuotes && c is '"' or '\\'))
            {
                return i;
            }
        }

        return -1;
    }

    private static void WriteEscape(IBufferWriter<byte> output, char c)
    {
        ReadOnlySpan<byte> shortForm = c switch
        {
            '"' => "\\\""u8,
            '\\' => "\\\\"u8,
            '\0' => "\\0"u8,
            '\a' => "\\a"u8,
            '\b' => "\\b"u8,
            '\t' => "\\t"u8,
            '\n' => "\\n"u8,
            '\v' => "\\v"u8,
            '\f' => "\\f"u8,
            '\r' => "\\r"u8,
            '\u001B' => "\\e"u8,
            '\u0085' => "\\N"u8,
            '\u2028' => "\\L"u8,
            '\u2029' => "\\P"u8,
            _ => default,
        };
        if (!shortForm.IsEmpty)
        {
            output.Write(shortForm);
            return;
        }

        var span = output.GetSpan(6);
        if (c <= 0xFF)
        {
            "\\x"u8.CopyTo(span);
            ((byte)c).TryFormat(span[2..], out _, "X2", System.Globalization.CultureInfo.InvariantCulture);
            output.Advance(4);
        }
        else
        {
            "\\u"u8.CopyTo(span);
            ((ushort)c).TryFormat(span[2..], out _, "X4", System.Globalization.CultureInfo.InvariantCulture);
            output.Advance(6);
        }
    }

    private static bool IsIndicator(char c) =>
        c is '-' or '?' or ':' or ',' or '[' or ']' or '{' or '}' or '#' or '&' or '*' or '!' or '|' or '>' or '\'' or '"' or '%' or '@' or '`';

    /// <summary>
    /// Anything that starts like a number (<c>1</c>, <c>-2</c>, <c>.5</c>, <c>+1e3</c>, <c>0x1F</c>, dates such as
    /// <c>2024-01-01</c>, versions such as <c>1.2.3</c>) or spells infinity or NaN; quoting these costs little and
    /// avoids second-guessing every schema's number and timestamp rules.
    /// </summary>
    private static bool LooksLikeNumber(string value)
    {
        var c = value[0];
        if (char.IsAsciiDigit(c))
        {
            return true;
        }

        if (c is '+' or '-' or '.' && value.Length > 1 && (char.IsAsciiDigit(value[1]) || value[1] == '.'))
        {
            return true;
        }

        var rest = c is '+' or '-' ? value.AsSpan(1) : value.AsSpan();
        return rest.Equals(".inf", StringComparison.OrdinalIgnoreCase) || value.Equals(".nan", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Words YAML 1.1 or 1.2 reads as a bool or null, and the merge key.</summary>
    private static bool IsReservedWord(string value)
    {
        if (value.Length > 5)
        {
            return false;
        }

        foreach (var word in ReservedWords)
        {
            if (value.Equals(word, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
