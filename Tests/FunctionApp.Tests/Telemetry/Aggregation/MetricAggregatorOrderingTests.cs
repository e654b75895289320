using Telemetry.Aggregation.Otlp;
using static FunctionApp.Tests.Telemetry.Aggregation.AggregationTestData;

namespace FunctionApp.Tests.Telemetry.Aggregation;

/// <summary>Property-style: whatever order cumulative pushes arrive in, and however often, the totals are the same.</summary>
public class MetricAggregatorOrderingTests
{
    private const int Instances = 5;
    private const int Pushes = 10;

    [Fact]
    public void Ingest_PushLogInOrder_GivesExpectedTotals()
    {
        var aggregator = Aggregator();
        foreach (var push in PushLog.Create(Instances, Pushes))
        {
            aggregator.Ingest(push);
        }

        Assert.Equal(PushLog.ExpectedRouteA(Instances, Pushes), Value(aggregator, "requests_total", ("http_route", "/a")));
        Assert.Equal(Instances * Pushes * 2.0, Value(aggregator, "requests_total", ("http_route", "/b")));
        Assert.Equal((ulong)(Instances * Pushes), Series(aggregator, "http_server_duration")!.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    public void Ingest_PermutedPushLogWithDuplicates_GivesIdenticalExposition(int seed)
    {
        var log = PushLog.Create(Instances, Pushes);
        var expected = Aggregator();
        foreach (var push in log)
        {
            expected.Ingest(push);
        }

        var random = new Random(seed);
        var shuffled = Shuffle(log.Concat(log.Where(_ => random.Next(3) == 0)), random);
        var aggregator = Aggregator();
        foreach (var push in shuffled)
        {
            aggregator.Ingest(push);
        }

        Assert.Equal(Render(expected), Render(aggregator));
    }

    [Fact]
    public void Ingest_ReversedPushLog_KeepsOnlyTheNewestPoints()
    {
        var log = PushLog.Create(Instances, Pushes);
        var aggregator = Aggregator();
        var accepted = 0;
        foreach (var push in Enumerable.Reverse(log))
        {
            accepted += aggregator.Ingest(push).Accepted;
        }

        Assert.Equal(PushLog.ExpectedRouteA(Instances, Pushes), Value(aggregator, "requests_total", ("http_route", "/a")));

        // Per instance the newest push, plus instance 0's last push of its first run.
        Assert.Equal((Instances + 1) * 3 + Instances, accepted);
    }

    internal static List<OtlpMetricsRequest> Shuffle(IEnumerable<OtlpMetricsRequest> pushes, Random random)
    {
        var list = pushes.ToList();
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }

        return list;
    }
}
