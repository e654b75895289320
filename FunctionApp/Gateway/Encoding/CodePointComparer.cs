namespace FunctionApp.Gateway.Encoding;

/// <summary>
/// Orders strings by code point, which is the order of their UTF-8 bytes and so the order Go sorts map keys in.
/// Ordinal UTF-16 order differs only for characters above U+FFFF, whose surrogates (D800–DFFF) would otherwise
/// sort before U+E000–U+FFFF.
/// </summary>
internal sealed class CodePointComparer : IComparer<string>
{
    public static readonly CodePointComparer Instance = new();

    private CodePointComparer()
    {
    }

    public int Compare(string? x, string? y)
    {
        var a = x.AsSpan();
        var b = y.AsSpan();
        var length = Math.Min(a.Length, b.Length);
        for (var i = 0; i < length; i++)
        {
            if (a[i] != b[i])
            {
                return Rank(a[i]) - Rank(b[i]);
            }
        }

        return a.Length - b.Length;
    }

    /// <summary>Moves surrogates above every other UTF-16 unit, which puts the units in code point order.</summary>
    private static int Rank(char c) => c < 0xD800 ? c : c < 0xE000 ? c + 0x2000 : c - 0x800;
}
