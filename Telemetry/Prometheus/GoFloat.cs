using System.Globalization;
using System.Text;

namespace Telemetry.Prometheus;

/// <summary>
/// Formats a double as Go's <c>strconv.FormatFloat(v, 'g', -1, 64)</c>, which Go's Prometheus client uses for every
/// sample value and <c>le</c> bound: the shortest round-trip digits, in exponent form (<c>1e+06</c>,
/// <c>1.5e-05</c>) when the decimal exponent is below -4 or at least 6. Dashboards and recording rules match
/// <c>le</c> values as strings, so the bounds must print exactly as KrakenD prints them.
/// </summary>
internal static class GoFloat
{
    public static string Format(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "+Inf" : "-Inf";
        }

        if (value == 0)
        {
            return double.IsNegative(value) ? "-0" : "0";
        }

        // .NET's "R" is the shortest round-trip representation; only its layout differs from Go's.
        var text = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var exponent = 0;
        var e = text.IndexOf('E', StringComparison.Ordinal);
        if (e >= 0)
        {
            exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var digits = dot >= 0 ? text.Remove(dot, 1) : text;
        var point = (dot >= 0 ? dot : text.Length) + exponent;
        var leadingZeros = 0;
        while (digits[leadingZeros] == '0')
        {
            leadingZeros++;
        }

        digits = digits[leadingZeros..].TrimEnd('0');
        point -= leadingZeros;

        var builder = new StringBuilder(24);
        if (value < 0)
        {
            builder.Append('-');
        }

        var decimalExponent = point - 1;
        if (decimalExponent < -4 || decimalExponent >= 6)
        {
            builder.Append(digits[0]);
            if (digits.Length > 1)
            {
                builder.Append('.').Append(digits, 1, digits.Length - 1);
            }

            builder.Append('e').Append(decimalExponent < 0 ? '-' : '+');
            var magnitude = Math.Abs(decimalExponent);
            if (magnitude < 10)
            {
                builder.Append('0');
            }

            builder.Append(magnitude.ToString(CultureInfo.InvariantCulture));
        }
        else if (point <= 0)
        {
            builder.Append("0.").Append('0', -point).Append(digits);
        }
        else if (point >= digits.Length)
        {
            builder.Append(digits).Append('0', point - digits.Length);
        }
        else
        {
            builder.Append(digits, 0, point).Append('.').Append(digits, point, digits.Length - point);
        }

        return builder.ToString();
    }

    /// <summary>The longest text <see cref="FormatUtf8"/> writes (sign, 17 digits, point, <c>e-324</c>, with room to spare).</summary>
    public const int MaxUtf8Length = 32;

    /// <summary>
    /// <see cref="Format"/> as UTF-8 into <paramref name="destination"/> (at least <see cref="MaxUtf8Length"/> bytes),
    /// without allocating; returns the bytes written. Integers below 10^6 in magnitude take a shortcut (Go prints
    /// them in plain decimal too); everything else follows <see cref="Format"/> step by step.
    /// </summary>
    public static int FormatUtf8(double value, Span<byte> destination)
    {
        if (double.IsNaN(value))
        {
            return Ascii(destination, "NaN");
        }

        if (double.IsInfinity(value))
        {
            return Ascii(destination, value > 0 ? "+Inf" : "-Inf");
        }

        if (value == 0)
        {
            return Ascii(destination, double.IsNegative(value) ? "-0" : "0");
        }

        if (Math.Abs(value) < 1e6 && value == Math.Floor(value))
        {
            ((long)value).TryFormat(destination, out var integer, default, CultureInfo.InvariantCulture);
            return integer;
        }

        Span<byte> text = stackalloc byte[MaxUtf8Length];
        Math.Abs(value).TryFormat(text, out var length, "R", CultureInfo.InvariantCulture);
        text = text[..length];
        var exponent = 0;
        var e = text.IndexOf((byte)'E');
        if (e >= 0)
        {
            var sign = text[e + 1] == (byte)'-' ? -1 : 1;
            for (var i = e + 1; i < text.Length; i++)
            {
                if (text[i] is >= (byte)'0' and <= (byte)'9')
                {
                    exponent = (exponent * 10) + (text[i] - '0');
                }
            }

            exponent *= sign;
            text = text[..e];
        }

        // The mantissa's digits without the point, leading and trailing zeros.
        Span<byte> digits = stackalloc byte[MaxUtf8Length];
        var count = 0;
        var dot = -1;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == (byte)'.')
            {
                dot = i;
            }
            else
            {
                digits[count++] = text[i];
            }
        }

        var point = (dot >= 0 ? dot : text.Length) + exponent;
        var leadingZeros = 0;
        while (digits[leadingZeros] == (byte)'0')
        {
            leadingZeros++;
        }

        var end = count;
        while (end > leadingZeros + 1 && digits[end - 1] == (byte)'0')
        {
            end--;
        }

        ReadOnlySpan<byte> significant = digits[leadingZeros..end];
        point -= leadingZeros;

        var written = 0;
        if (value < 0)
        {
            destination[written++] = (byte)'-';
        }

        var decimalExponent = point - 1;
        if (decimalExponent < -4 || decimalExponent >= 6)
        {
            destination[written++] = significant[0];
            if (significant.Length > 1)
            {
                destination[written++] = (byte)'.';
                significant[1..].CopyTo(destination[written..]);
                written += significant.Length - 1;
            }

            destination[written++] = (byte)'e';
            destination[written++] = decimalExponent < 0 ? (byte)'-' : (byte)'+';
            var magnitude = Math.Abs(decimalExponent);
            if (magnitude < 10)
            {
                destination[written++] = (byte)'0';
            }

            magnitude.TryFormat(destination[written..], out var exponentLength, default, CultureInfo.InvariantCulture);
            written += exponentLength;
        }
        else if (point <= 0)
        {
            destination[written++] = (byte)'0';
            destination[written++] = (byte)'.';
            destination.Slice(written, -point).Fill((byte)'0');
            written += -point;
            significant.CopyTo(destination[written..]);
            written += significant.Length;
        }
        else if (point >= significant.Length)
        {
            significant.CopyTo(destination[written..]);
            written += significant.Length;
            destination.Slice(written, point - significant.Length).Fill((byte)'0');
            written += point - significant.Length;
        }
        else
        {
            significant[..point].CopyTo(destination[written..]);
            written += point;
            destination[written++] = (byte)'.';
            significant[point..].CopyTo(destination[written..]);
            written += significant.Length - point;
        }

        return written;
    }

    private static int Ascii(Span<byte> destination, string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            destination[i] = (byte)text[i];
        }

        return text.Length;
    }
}
