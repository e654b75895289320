using System.Text.Encodings.Web;

namespace FunctionApp.Gateway.Encoding;

/// <summary>
/// Escapes JSON strings exactly as Go's <c>encoding/json</c> does, so rendered bodies match KrakenD byte for byte:
/// <c>"</c>, <c>\</c>, control characters, <c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c>, U+2028 and U+2029 are escaped;
/// every other character, including non-ASCII text and emoji, is written as UTF-8.
/// </summary>
public sealed class GoJsonEncoder : JavaScriptEncoder
{
    public static readonly GoJsonEncoder Instance = new();

    private GoJsonEncoder()
    {
    }

    public override int MaxOutputCharactersPerInputCharacter => 6;

    public override bool WillEncode(int unicodeScalar) =>
        unicodeScalar < 0x20 || unicodeScalar is '"' or '\\' or '<' or '>' or '&' or 0x2028 or 0x2029;

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        for (var i = 0; i < textLength; i++)
        {
            var c = text[i];
            if (WillEncode(c))
            {
                return i;
            }

            // Lone surrogates cannot be written as UTF-8; let the writer escape them.
            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < textLength && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                    continue;
                }

                return i;
            }
        }

        return -1;
    }

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        ReadOnlySpan<char> shortForm = unicodeScalar switch
        {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\b' => "\\b",
            '\f' => "\\f",
            _ => default,
        };
        var output = new Span<char>(buffer, bufferLength);
        if (!shortForm.IsEmpty)
        {
            return Write(shortForm, output, out numberOfCharactersWritten);
        }

        if (WillEncode(unicodeScalar) || unicodeScalar is >= 0xD800 and <= 0xDFFF)
        {
            Span<char> escaped = stackalloc char[6];
            "\\u".CopyTo(escaped);
            ((ushort)unicodeScalar).TryFormat(escaped[2..], out _, "x4", System.Globalization.CultureInfo.InvariantCulture);
            return Write(escaped, output, out numberOfCharactersWritten);
        }

        if (unicodeScalar <= 0xFFFF)
        {
            return Write([(char)unicodeScalar], output, out numberOfCharactersWritten);
        }

        Span<char> pair = stackalloc char[2];
        new System.Text.Rune(unicodeScalar).EncodeToUtf16(pair);
        return Write(pair, output, out numberOfCharactersWritten);
    }

    private static bool Write(ReadOnlySpan<char> value, Span<char> output, out int written)
    {
        if (value.TryCopyTo(output))
        {
            written = value.Length;
            return true;
        }

        written = 0;
        return false;
    }
}
