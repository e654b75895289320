using System.Diagnostics;
using Telemetry.Aggregation;
using Telemetry.Aggregation.Otlp;
using Telemetry.Prometheus;

namespace Bench.Companion;

/// <summary>
/// Ingest throughput on one thread: <c>instances</c> copies of the captured push (each its own instance id), pushed
/// round after round with a newer timestamp each time (the steady state of a companion: every series exists, every
/// point is a newer cumulative value), each push decoded (<see cref="OtlpMetricsDecoder.DecodeProtobuf"/>, as the
/// HTTP endpoint does with the read body) and ingested (<see cref="MetricAggregator.Ingest"/>). Body copies and
/// timestamp patching happen outside the timed regions.
/// </summary>
internal static class IngestBench
{
    public sealed record Result(
        double PushesPerCpuSecond,
        double PushesPerSecond,
        double PushesPerSecondMin,
        double PushesPerSecondMax,
        double PointsPerSecond,
        double DecodeCpuMicroseconds,
        double IngestCpuMicroseconds,
        double AllocatedBytesPerPush,
        double DecodeAllocatedBytesPerPush,
        double FirstPushMicroseconds,
        int Pushes,
        int Repetitions,
        double Gen0Per1000,
        double Gen1Per1000,
        double Gen2Per1000,
        double GcPausePercent,
        double NamingCpuMicroseconds);

    public static Result Run(PushTemplate template, int points, int instances, int warmupRounds, int rounds, int repetitions)
    {
        var bodies = Enumerable.Range(0, instances).Select(template.ForInstance).ToArray();
        var aggregator = new MetricAggregator(new AggregatorOptions(), TimeProvider.System);
        var time = template.OriginalTime;

        // The first push of each instance creates its entries: timed on its own, it is not the steady state.
        var first = Stopwatch.GetTimestamp();
        foreach (var body in bodies)
        {
            template.SetTime(body, ++time);
            Push(aggregator, body, points);
        }

        var firstPushMicroseconds = Stats.Seconds(Stopwatch.GetTimestamp() - first) * 1e6 / instances;

        for (var round = 0; round < warmupRounds; round++)
        {
            time++;
            foreach (var body in bodies)
            {
                template.SetTime(body, time);
                Push(aggregator, body, points);
            }
        }

        var rates = new List<double>();
        var cpuRates = new List<double>();
        var decodeShares = new List<double>();
        var ingestShares = new List<double>();
        var allocations = new List<double>();
        var decodeAllocations = new List<double>();
        var gcs = new int[3];
        var pause = TimeSpan.Zero;
        long measuredTicks = 0;
        for (var repetition = 0; repetition < repetitions; repetition++)
        {
            Stats.Settle();
            long decodeTicks = 0, ingestTicks = 0, decodeCpu = 0, ingestCpu = 0, decodeBytes = 0;
            var gcsBefore = Enumerable.Range(0, 3).Select(GC.CollectionCount).ToArray();
            var pauseBefore = GC.GetTotalPauseDuration();
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var cpuBefore = CpuClock.Nanoseconds();
            for (var round = 0; round < rounds; round++)
            {
                time++;
                foreach (var body in bodies)
                {
                    template.SetTime(body, time);
                    var a0 = GC.GetAllocatedBytesForCurrentThread();
                    var c0 = CpuClock.Nanoseconds();
                    var t0 = Stopwatch.GetTimestamp();
                    var decoded = OtlpMetricsDecoder.DecodeProtobuf(body);
                    var t1 = Stopwatch.GetTimestamp();
                    var c1 = CpuClock.Nanoseconds();
                    var a1 = GC.GetAllocatedBytesForCurrentThread();
                    var result = aggregator.Ingest(decoded.Request!);
                    var t2 = Stopwatch.GetTimestamp();
                    var c2 = CpuClock.Nanoseconds();
                    decodeTicks += t1 - t0;
                    ingestTicks += t2 - t1;
                    decodeCpu += c1 - c0;
                    ingestCpu += c2 - c1;
                    decodeBytes += a1 - a0;
                    if (result.Accepted != points)
                    {
                        throw new InvalidOperationException($"a push applied {result.Accepted} of {points} points (duplicates {result.Duplicates}, out of order {result.OutOfOrder}, rejected {result.Rejected})");
                    }
                }
            }

            var cpuNanoseconds = CpuClock.Nanoseconds() - cpuBefore;
            var pushes = rounds * instances;
            cpuRates.Add(pushes / (cpuNanoseconds / 1e9));
            for (var generation = 0; generation < 3; generation++)
            {
                gcs[generation] += GC.CollectionCount(generation) - gcsBefore[generation];
            }

            pause += GC.GetTotalPauseDuration() - pauseBefore;
            measuredTicks += decodeTicks + ingestTicks;
            allocations.Add((GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (double)pushes);
            decodeAllocations.Add(decodeBytes / (double)pushes);
            rates.Add(pushes / Stats.Seconds(decodeTicks + ingestTicks));
            decodeShares.Add(decodeCpu / 1e3 / pushes);
            ingestShares.Add(ingestCpu / 1e3 / pushes);
        }

        var median = Stats.Median(rates);
        var measuredPushes = (double)rounds * instances * repetitions;
        return new Result(
            Stats.Median(cpuRates),
            median,
            rates.Min(),
            rates.Max(),
            median * points,
            Stats.Median(decodeShares),
            Stats.Median(ingestShares),
            Stats.Median(allocations),
            Stats.Median(decodeAllocations),
            firstPushMicroseconds,
            rounds * instances,
            repetitions,
            gcs[0] * 1000 / measuredPushes,
            gcs[1] * 1000 / measuredPushes,
            gcs[2] * 1000 / measuredPushes,
            pause.TotalSeconds * 100 / Stats.Seconds(measuredTicks),
            NamingMicroseconds(template));
    }

    /// <summary>
    /// The public naming steps <see cref="MetricAggregator.Ingest"/> runs on every point of every push (its
    /// <c>Prepare</c>, outside the lock): <see cref="PrometheusNaming.Labels"/> on each point's attributes and
    /// <see cref="PrometheusNaming.MetricName"/> on each metric; µs per push. The rest of <c>Prepare</c> (scope labels,
    /// sort, series key) is internal and not timed apart.
    /// </summary>
    private static double NamingMicroseconds(PushTemplate template)
    {
        var request = OtlpMetricsDecoder.DecodeProtobuf(template.Body).Request!;
        var metrics = request.ResourceMetrics.SelectMany(static r => r.ScopeMetrics).SelectMany(static s => s.Metrics).ToList();
        var count = 0;
        void OnePush()
        {
            foreach (var metric in metrics)
            {
                count += PrometheusNaming.MetricName(metric.Name, metric.Unit, MetricFamilyType.Counter).Length;
                foreach (var attributes in metric.NumberPoints.Select(static p => p.Attributes).Concat(metric.HistogramPoints.Select(static p => p.Attributes)))
                {
                    count += PrometheusNaming.Labels(attributes.Select(static a => new KeyValuePair<string, object?>(a.Key, a.Value))).Count;
                }
            }
        }

        for (var i = 0; i < 200; i++)
        {
            OnePush();
        }

        const int Pushes = 1000;
        var start = CpuClock.Nanoseconds();
        for (var i = 0; i < Pushes; i++)
        {
            OnePush();
        }

        var microseconds = (CpuClock.Nanoseconds() - start) / 1e3 / Pushes;
        GC.KeepAlive(count);
        return microseconds;
    }

    private static void Push(MetricAggregator aggregator, byte[] body, int points)
    {
        var decoded = OtlpMetricsDecoder.DecodeProtobuf(body);
        if (!decoded.Succeeded)
        {
            throw new InvalidOperationException(decoded.Error);
        }

        var result = aggregator.Ingest(decoded.Request);
        if (result.Accepted != points)
        {
            throw new InvalidOperationException($"a push applied {result.Accepted} of {points} points");
        }
    }
}
