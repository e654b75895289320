using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace FunctionApp.Gateway.Encoding;

/// <summary>Small UTF-8 writing helpers shared by the text renderers.</summary>
internal static class Utf8Output
{
    /// <summary>Upper bound on the span requested per step, so a large text never asks the writer for one huge block.</summary>
    private const int ChunkChars = 4096;

    private static readonly JsonWriterOptions NumberWriterOptions = new()
    {
        Encoder = GoJsonEncoder.Instance,
        SkipValidation = true,
    };

    /// <summary>Writes text as UTF-8; lone surrogates become U+FFFD, as Go does when it writes such a string.</summary>
    public static void WriteText(IBufferWriter<byte> output, ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            var destination = output.GetSpan(Math.Min(text.Length, ChunkChars) * 3);
            Utf8.FromUtf16(text, destination, out var charsRead, out var bytesWritten, replaceInvalidSequences: true, isFinalBlock: true);
            output.Advance(bytesWritten);
            text = text[charsRead..];
        }
    }

    public static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    public static void WriteSpaces(IBufferWriter<byte> output, int count)
    {
        if (count > 0)
        {
            output.GetSpan(count)[..count].Fill((byte)' ');
            output.Advance(count);
        }
    }

    /// <summary>
    /// Writes a scalar's JSON text. A value parsed from a backend is backed by its element and yields the exact
    /// literal (so numbers such as <c>1.0</c> or <c>1e3</c> come out as received) without a copy.
    /// </summary>
    public static void WriteJsonLiteral(IBufferWriter<byte> output, JsonValue value)
    {
        if (value.TryGetValue<JsonElement>(out var element))
        {
            output.Write(JsonMarshal.GetRawUtf8Value(element));
            return;
        }

        using var writer = new Utf8JsonWriter(output, NumberWriterOptions);
        value.WriteTo(writer);
        writer.Flush();
    }
}
