using Telemetry.Aggregation.Otlp;
using static FunctionApp.Tests.Telemetry.Aggregation.AggregationTestData;

namespace FunctionApp.Tests.Telemetry.Aggregation;

/// <summary>
/// A deterministic log of cumulative pushes from several instances (counters on two routes, a histogram, a gauge),
/// in the order they were sent. Instance 0 restarts halfway under the same id (a new run with a later start time).
/// </summary>
internal static class PushLog
{
    public static List<OtlpMetricsRequest> Create(int instances, int pushes)
    {
        var log = new List<OtlpMetricsRequest>();
        for (var p = 1; p <= pushes; p++)
        {
            for (var i = 0; i < instances; i++)
            {
                log.Add(Push(i, p, pushes));
            }
        }

        return log;
    }

    /// <summary>The expected <c>requests_total{http_route="/a"}</c> after the whole log.</summary>
    public static double ExpectedRouteA(int instances, int pushes)
    {
        var total = 0.0;
        for (var i = 0; i < instances; i++)
        {
            total += i == 0 ? (pushes / 2 * 1.0) + ((pushes - (pushes / 2)) * 1.0) : pushes * (i + 1.0);
        }

        return total;
    }

    /// <summary>Instance <paramref name="i"/>'s <paramref name="p"/>-th push (1-based).</summary>
    public static OtlpMetricsRequest Push(int i, int p, int pushes)
    {
        var restartAfter = i == 0 ? pushes / 2 : int.MaxValue;
        var restarted = p > restartAfter;
        var start = restarted ? T(100_000) : T(i);
        var step = restarted ? p - restartAfter : p;
        var increment = i == 0 ? 1.0 : i + 1.0;
        var time = T((p * 100) + i) + (restarted ? 100_000UL * 1_000_000_000UL : 0);
        var observations = Enumerable.Range(1, step).Select(k => ((k * 37) + i) % 40 * 0.05).ToArray();
        return Request(
            $"instance-{i:D2}",
            Counter(
                "requests",
                Point(start, time, step * increment, A("http.route", "/a")),
                Point(start, time, step * 2.0, A("http.route", "/b"))),
            Histogram("http.server.duration", HistogramPoint(start, time, TimeBuckets, observations, Route("/a"))),
            Gauge("queue.depth", Point(0, time, (p % 7) + i)));
    }
}
