namespace FunctionApp.Gateway.Configuration.Tests;

/// <summary>Go duration strings (<c>time.ParseDuration</c>), the format of every krakend.json duration.</summary>
public sealed class GoDurationTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("-0", 0L)]
    [InlineData("0s", 0L)]
    [InlineData("300ms", 300 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1.5s", 1500 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1h2m3s", ((1 * 3600) + (2 * 60) + 3) * TimeSpan.TicksPerSecond)]
    [InlineData("2us", 20L)]
    [InlineData("2\u00B5s", 20L)]
    [InlineData("2\u03BCs", 20L)]
    [InlineData("100ns", 1L)]
    [InlineData("1m30s", 90 * TimeSpan.TicksPerSecond)]
    [InlineData("1.5h", 90 * TimeSpan.TicksPerMinute)]
    [InlineData(".5s", 500 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1.s", TimeSpan.TicksPerSecond)]
    [InlineData("+5s", 5 * TimeSpan.TicksPerSecond)]
    [InlineData("-1s", -TimeSpan.TicksPerSecond)]
    [InlineData("1s500ms", 1500 * TimeSpan.TicksPerMillisecond)]
    [InlineData("2562047h", 2562047 * TimeSpan.TicksPerHour)]
    public void TryParse_ValidGoDuration_ReturnsIt(string text, long ticks)
    {
        Assert.True(GoDuration.TryParse(text, out var duration, out var error));
        Assert.Null(error);
        Assert.Equal(TimeSpan.FromTicks(ticks), duration);
    }

    [Theory]
    [InlineData("2 seconds", "unknown unit \" seconds\" in duration \"2 seconds\" (use ns, us, ms, s, m or h)")]
    [InlineData("5", "missing unit in duration \"5\" (use ns, us, ms, s, m or h)")]
    [InlineData("1s5", "missing unit in duration \"1s5\" (use ns, us, ms, s, m or h)")]
    [InlineData("1x", "unknown unit \"x\" in duration \"1x\" (use ns, us, ms, s, m or h)")]
    [InlineData("1S", "unknown unit \"S\" in duration \"1S\" (use ns, us, ms, s, m or h)")]
    [InlineData("1sec", "unknown unit \"sec\" in duration \"1sec\" (use ns, us, ms, s, m or h)")]
    [InlineData("1d", "unknown unit \"d\" in duration \"1d\" (use ns, us, ms, s, m or h)")]
    [InlineData("1s ", "unknown unit \"s \" in duration \"1s \" (use ns, us, ms, s, m or h)")]
    [InlineData("", "empty duration")]
    [InlineData("-", "invalid duration \"-\"")]
    [InlineData("s", "invalid duration \"s\"")]
    [InlineData(" 1s", "invalid duration \" 1s\"")]
    [InlineData(".s", "invalid duration \".s\"")]
    [InlineData("1..5s", "invalid duration \"1..5s\"")]
    [InlineData("1h-1m", "unknown unit \"h-\" in duration \"1h-1m\" (use ns, us, ms, s, m or h)")]
    [InlineData("--1s", "invalid duration \"--1s\"")]
    public void TryParse_InvalidText_ReturnsFalseWithAMessage(string text, string message)
    {
        Assert.False(GoDuration.TryParse(text, out var duration, out var error));
        Assert.Equal(message, error);
        Assert.Equal(TimeSpan.Zero, duration);
    }

    [Fact]
    public void TryParse_Null_ReturnsFalse()
    {
        Assert.False(GoDuration.TryParse(null, out _, out var error));
        Assert.Equal("empty duration", error);
    }

    [Theory]
    [InlineData("99999999999999999999h")]
    [InlineData("9999999999999999999999999999h")]
    [InlineData("79228162514264337593543950335ns")]
    [InlineData("9999999999999999999999999999h9999999999999999999999999999h")]
    public void TryParse_HugeValue_ReturnsTooLargeInsteadOfThrowing(string text)
    {
        Assert.False(GoDuration.TryParse(text, out _, out var error));
        Assert.Equal($"duration \"{text}\" is too large", error);
    }

    [Fact]
    public void TryParse_NumberTooLongForDecimal_ReturnsFalse()
    {
        var text = new string('9', 40) + "s";

        Assert.False(GoDuration.TryParse(text, out _, out var error));
        Assert.NotNull(error);
    }
}
