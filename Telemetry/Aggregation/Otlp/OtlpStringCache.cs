using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Telemetry.Aggregation.Otlp;

/// <summary>
/// Per-request string interning: a push repeats the same attribute keys and values (<c>http.route</c>, <c>200</c>,
/// <c>GET</c>) on every data point, so each short string is allocated once per request instead of once per point.
/// Only short strings are cached, and only so many, so a hostile request cannot grow the table past a few hundred KiB.
/// </summary>
internal sealed class OtlpStringCache
{
    private const int MaxCachedChars = 128;
    private const int MaxEntries = 4096;

    private HashSet<string>? _strings;
    private HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <summary>Decodes UTF-8 that protobuf or JSON declared a string; invalid UTF-8 makes the request invalid.</summary>
    public string FromUtf8(ReadOnlySpan<byte> utf8, long position)
    {
        if (utf8.IsEmpty)
        {
            return "";
        }

        if (utf8.Length > MaxCachedChars)
        {
            if (!Utf8.IsValid(utf8))
            {
                throw new OtlpDecodeException(position, "a string is not valid UTF-8");
            }

            return Encoding.UTF8.GetString(utf8);
        }

        Span<char> chars = stackalloc char[MaxCachedChars];
        if (Utf8.ToUtf16(utf8, chars, out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done)
        {
            throw new OtlpDecodeException(position, "a string is not valid UTF-8");
        }

        return FromChars(chars[..written]);
    }

    public string FromInt64(long value)
    {
        Span<char> chars = stackalloc char[20];
        value.TryFormat(chars, out var written, default, CultureInfo.InvariantCulture);
        return FromChars(chars[..written]);
    }

    public string FromChars(ReadOnlySpan<char> chars)
    {
        if (chars.IsEmpty)
        {
            return "";
        }

        if (chars.Length > MaxCachedChars)
        {
            return new string(chars);
        }

        if (_strings is null)
        {
            _strings = new HashSet<string>(StringComparer.Ordinal);
            _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        if (_lookup.TryGetValue(chars, out var cached))
        {
            return cached;
        }

        var created = new string(chars);
        if (_strings.Count < MaxEntries)
        {
            _strings.Add(created);
        }

        return created;
    }
}
