using System.Globalization;

namespace FunctionApp.Gateway.Configuration;

/// <summary>
/// Parses Go duration strings (<c>time.ParseDuration</c>), the format of every duration in krakend.json:
/// a sequence of decimal numbers, each with an optional fraction and a unit, such as <c>300ms</c>, <c>1.5s</c>
/// or <c>1h2m3s</c>. Valid units are <c>ns</c>, <c>us</c> (or <c>µs</c>), <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>.
/// </summary>
public static class GoDuration
{
    private static readonly decimal MaxNanoseconds = (decimal)TimeSpan.MaxValue.Ticks * 100;

    public static bool TryParse(string? text, out TimeSpan duration, out string? error)
    {
        duration = TimeSpan.Zero;
        error = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "empty duration";
            return false;
        }

        var s = text.AsSpan();
        var negative = false;
        if (s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s is "0")
        {
            return true;
        }

        if (s.IsEmpty)
        {
            error = $"invalid duration \"{text}\"";
            return false;
        }

        decimal totalNanoseconds = 0;
        while (!s.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < s.Length && (char.IsAsciiDigit(s[numberLength]) || s[numberLength] == '.'))
            {
                numberLength++;
            }

            if (numberLength == 0 || !decimal.TryParse(s[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                error = $"invalid duration \"{text}\"";
                return false;
            }

            s = s[numberLength..];
            var unitLength = 0;
            while (unitLength < s.Length && !char.IsAsciiDigit(s[unitLength]) && s[unitLength] != '.')
            {
                unitLength++;
            }

            if (unitLength == 0)
            {
                error = $"missing unit in duration \"{text}\" (use ns, us, ms, s, m or h)";
                return false;
            }

            decimal? nanosecondsPerUnit = s[..unitLength] switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                "h" => 3_600_000_000_000m,
                _ => null,
            };
            if (nanosecondsPerUnit is null)
            {
                error = $"unknown unit \"{s[..unitLength].ToString()}\" in duration \"{text}\" (use ns, us, ms, s, m or h)";
                return false;
            }

            // Checked before multiplying: a long number times an hour would overflow decimal itself.
            if (value > (MaxNanoseconds - totalNanoseconds) / nanosecondsPerUnit.Value)
            {
                error = $"duration \"{text}\" is too large";
                return false;
            }

            totalNanoseconds += value * nanosecondsPerUnit.Value;

            s = s[unitLength..];
        }

        var ticks = (long)(totalNanoseconds / 100);
        duration = TimeSpan.FromTicks(negative ? -ticks : ticks);
        return true;
    }
}
