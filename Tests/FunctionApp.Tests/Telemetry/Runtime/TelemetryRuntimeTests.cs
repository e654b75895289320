using global::Telemetry.Runtime;

namespace FunctionApp.Tests.Telemetry.Runtime;

public sealed class TelemetryRuntimeTests
{
    [Fact]
    public void FlushInSlices_FlushDoneOnThirdSlice_ReturnsTrueWithShortSlices()
    {
        var timeouts = new List<int>();
        var done = TelemetryRuntime.FlushInSlices(timeout => { timeouts.Add(timeout); return timeouts.Count == 3; }, 1000);

        Assert.True(done);
        Assert.Equal(3, timeouts.Count);
        Assert.All(timeouts, t => Assert.InRange(t, 0, 10));
    }

    [Fact]
    public void FlushInSlices_NeverDone_GivesUpAfterTheTimeout()
    {
        var calls = 0;
        var done = TelemetryRuntime.FlushInSlices(timeout => { calls++; Thread.Sleep(timeout); return false; }, 50);

        Assert.False(done);
        Assert.True(calls >= 2);
    }

    [Theory]
    [InlineData("invocation", FlushMode.Invocation)]
    [InlineData(" Background ", FlushMode.Background)]
    [InlineData("sometimes", null)]
    [InlineData(null, null)]
    public void ParseFlushMode_ReadsTheSetting(string? value, FlushMode? expected) =>
        Assert.Equal(expected, TelemetryRuntime.ParseFlushMode(value));

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("2s", 2000)]
    [InlineData("1.5s", 1500)]
    [InlineData("0s", null)]
    [InlineData("fast", null)]
    public void ParseBudget_ReadsGoDurations(string value, int? expectedMilliseconds) =>
        Assert.Equal(expectedMilliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null, TelemetryRuntime.ParseBudget(value));

    [Theory]
    [InlineData("2ms", 2)]
    [InlineData("0", 0)]
    [InlineData("0ms", 0)]
    [InlineData("-1ms", null)]
    [InlineData("99999999999s", null)]
    [InlineData("soon", null)]
    public void ParseDuration_MinimumInterval_AcceptsZero(string value, int? expectedMilliseconds) =>
        Assert.Equal(expectedMilliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null, TelemetryRuntime.ParseDuration(value, allowZero: true));
}
