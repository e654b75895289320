namespace Telemetry.Layers;

/// <summary>
/// Attribute values boxed once, for the values the hot path sets on every request: booleans, status codes, small
/// sizes and zero durations. A tag value is an <see cref="object"/>, so each <c>SetTag(key, true)</c> or
/// <c>tags.Add(key, 200)</c> would otherwise box. The boxes are immutable and shared.
/// </summary>
internal static class BoxedValues
{
    public static readonly object True = true;

    public static readonly object False = false;

    public static readonly object ZeroSeconds = 0d;

    private static readonly object[] Ints = CreateInts(600);

    private static readonly object[] Longs = CreateLongs(4096);

    public static object Bool(bool value) => value ? True : False;

    /// <summary>A status code (or any small non-negative int) from the cache; others are boxed as usual.</summary>
    public static object Int(int value) => (uint)value < (uint)Ints.Length ? Ints[value] : value;

    /// <summary>A size from the cache when below 4096; others are boxed as usual.</summary>
    public static object Long(long value) => (ulong)value < (ulong)Longs.Length ? Longs[value] : value;

    /// <summary>A duration in seconds, the zero box shared.</summary>
    public static object Seconds(double value) => value == 0d && !double.IsNegative(value) ? ZeroSeconds : value;

    private static object[] CreateInts(int count)
    {
        var boxes = new object[count];
        for (var i = 0; i < count; i++)
        {
            boxes[i] = i;
        }

        return boxes;
    }

    private static object[] CreateLongs(int count)
    {
        var boxes = new object[count];
        for (var i = 0; i < count; i++)
        {
            boxes[i] = (long)i;
        }

        return boxes;
    }
}
