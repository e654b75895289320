using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace Telemetry.Aggregation.Otlp;

/// <summary>
/// String interning for the decoders: pushes repeat the same attribute keys and values (<c>http.route</c>, <c>200</c>,
/// <c>GET</c>) on every data point and in every push of every instance, so each short string is decoded and allocated
/// once per process instead of once per point. The table is shared by every decode (thread-safe) and keyed by the
/// UTF-8 bytes as they arrive, so a hit costs a hash and a comparison, no transcoding. Only short strings are cached,
/// and only so many: a full table starts over empty, so a hostile stream of new strings costs a few hundred KiB and
/// some recomputation, never more. An instance keeps the decode's own counters; the tables are static.
/// </summary>
internal sealed class OtlpStringCache
{
    /// <summary>Strings longer than this (UTF-8 bytes, or UTF-16 code units for <see cref="FromChars"/>) are not cached.</summary>
    internal const int MaxCachedChars = 128;

    /// <summary>Entries per table before it starts over.</summary>
    internal const int MaxEntries = 4096;

    private static readonly SharedTable<byte[], ReadOnlySpan<byte>> Utf8Table = new(ByteContent.Instance);
    private static readonly SharedTable<string, ReadOnlySpan<char>> CharTable = new(StringComparer.Ordinal);

    // The shared tables, through the instance (one per decode).
    private readonly SharedTable<byte[], ReadOnlySpan<byte>> _utf8 = Utf8Table;
    private readonly SharedTable<string, ReadOnlySpan<char>> _chars = CharTable;

    /// <summary>Entries in the shared UTF-8 table (for tests).</summary>
    internal static int Utf8Count => Utf8Table.Count;

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

        if (_utf8.TryGet(utf8, out var cached))
        {
            return cached;
        }

        Span<char> chars = stackalloc char[MaxCachedChars];
        if (Utf8.ToUtf16(utf8, chars, out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done)
        {
            throw new OtlpDecodeException(position, "a string is not valid UTF-8");
        }

        var created = new string(chars[..written]);
        _utf8.Add(utf8.ToArray(), created);
        return created;
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

        if (_chars.TryGet(chars, out var cached))
        {
            return cached;
        }

        var created = new string(chars);
        _chars.Add(created, created);
        return created;
    }

    /// <summary>Empties the shared tables (tests).</summary>
    internal static void Clear()
    {
        Utf8Table.Clear();
        CharTable.Clear();
    }

    /// <summary>A bounded concurrent table looked up by span; it starts over when full.</summary>
    private sealed class SharedTable<TKey, TSpan>
        where TKey : notnull
        where TSpan : notnull, allows ref struct
    {
        private readonly ConcurrentDictionary<TKey, string> _entries;
        private readonly ConcurrentDictionary<TKey, string>.AlternateLookup<TSpan> _lookup;
        private int _count;

        public SharedTable(IEqualityComparer<TKey> comparer)
        {
            _entries = new ConcurrentDictionary<TKey, string>(comparer);
            _lookup = _entries.GetAlternateLookup<TSpan>();
        }

        public int Count => _entries.Count;

        public bool TryGet(TSpan key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out string value) => _lookup.TryGetValue(key, out value);

        public void Add(TKey key, string value)
        {
            if (Interlocked.Increment(ref _count) > MaxEntries)
            {
                _entries.Clear();
                Interlocked.Exchange(ref _count, 1);
            }

            if (!_entries.TryAdd(key, value))
            {
                Interlocked.Decrement(ref _count);
            }
        }

        public void Clear()
        {
            _entries.Clear();
            Interlocked.Exchange(ref _count, 0);
        }
    }

    /// <summary>Byte arrays by content, looked up by span: the hash is the runtime's randomized string hash over the bytes.</summary>
    internal sealed class ByteContent : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteContent Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => Hash(obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

        private static int Hash(ReadOnlySpan<byte> bytes)
        {
            var even = bytes.Length & ~1;
            var hash = string.GetHashCode(MemoryMarshal.Cast<byte, char>(bytes[..even]));
            return even == bytes.Length ? hash : HashCode.Combine(hash, bytes[^1]);
        }
    }
}
