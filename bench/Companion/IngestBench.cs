using System.Diagnostics;
using Telemetry.Aggregation;
using Telemetry.Aggregation.Otlp;

namespace Bench.Companion;

/// <summary>
/// Ingest throughput on one thread: <c>instances</c> copies of each push template (each copy its own instance id),
/// pushed round after round with a newer timestamp each time, the templates taking turns (instance i pushes template
/// (i + round) mod n), each push decoded (<see cref="OtlpMetricsDecoder.DecodeProtobuf"/>, as the HTTP endpoint does
/// with the read body) and ingested (<see cref="MetricAggregator.Ingest"/>). Every instance first pushes every
/// template once (its first push creates its entries; that is timed apart): the steady state of a companion, where
/// every series exists and every point is a newer cumulative value. Each repetition is measured twice: once bare
/// (process CPU time and allocations over the whole loop: the rate), once with clocks around decode and ingest of each
/// push (the split; the clocks themselves cost a little). Body copies and timestamp patching happen in the loop but
/// cost next to nothing (an 8-byte write per point).
/// </summary>
internal static class IngestBench
{
    public sealed record Result(
        double PointsPerPush,
        double PushesPerCpuSecond,
        double PushesPerSecond,
        double PushesPerSecondMin,
        double PushesPerSecondMax,
        double CpuMicroseconds,
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
        double GcPausePercent);

    public static Result Run(IReadOnlyList<PushTemplate> templates, IReadOnlyList<int> points, int instances, int warmupRounds, int rounds, int repetitions)
    {
        var bodies = Enumerable.Range(0, instances).Select(i => templates.Select(t => t.ForInstance(i)).ToArray()).ToArray();
        var aggregator = new MetricAggregator(new AggregatorOptions(), TimeProvider.System);
        var time = templates.Max(static t => t.OriginalTime);

        // The first push of each instance creates its entries: timed on its own, it is not the steady state.
        var first = Stopwatch.GetTimestamp();
        for (var i = 0; i < instances; i++)
        {
            time++;
            for (var t = 0; t < templates.Count; t++)
            {
                templates[t].SetTime(bodies[i][t], time);
                Push(aggregator, bodies[i][t], points[t]);
            }
        }

        var firstPushMicroseconds = Stats.Seconds(Stopwatch.GetTimestamp() - first) * 1e6 / (instances * templates.Count);

        var round = 0;
        void Round(bool split, ref long decodeCpu, ref long ingestCpu, ref long decodeBytes, ref long pointCount)
        {
            time++;
            for (var i = 0; i < instances; i++)
            {
                var t = (i + round) % templates.Count;
                var body = bodies[i][t];
                templates[t].SetTime(body, time);
                if (!split)
                {
                    Push(aggregator, body, points[t]);
                }
                else
                {
                    var a0 = GC.GetAllocatedBytesForCurrentThread();
                    var c0 = CpuClock.Nanoseconds();
                    var decoded = OtlpMetricsDecoder.DecodeProtobuf(body);
                    var c1 = CpuClock.Nanoseconds();
                    var a1 = GC.GetAllocatedBytesForCurrentThread();
                    var result = aggregator.Ingest(decoded.Request!);
                    var c2 = CpuClock.Nanoseconds();
                    decodeCpu += c1 - c0;
                    ingestCpu += c2 - c1;
                    decodeBytes += a1 - a0;
                    Check(result, points[t]);
                }

                pointCount += points[t];
            }

            round++;
        }

        long ignored = 0, ignoredToo = 0, ignoredBytes = 0, ignoredPoints = 0;
        for (var r = 0; r < warmupRounds; r++)
        {
            Round(split: r % 2 == 1, ref ignored, ref ignoredToo, ref ignoredBytes, ref ignoredPoints);
        }

        var rates = new List<double>();
        var cpuRates = new List<double>();
        var cpuPerPush = new List<double>();
        var decodeShares = new List<double>();
        var ingestShares = new List<double>();
        var allocations = new List<double>();
        var decodeAllocations = new List<double>();
        var gcs = new int[3];
        var pause = TimeSpan.Zero;
        long measuredTicks = 0, measuredPoints = 0;
        for (var repetition = 0; repetition < repetitions; repetition++)
        {
            // Bare: the rate, allocations and GCs.
            Stats.Settle();
            var gcsBefore = Enumerable.Range(0, 3).Select(GC.CollectionCount).ToArray();
            var pauseBefore = GC.GetTotalPauseDuration();
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var cpuBefore = CpuClock.Nanoseconds();
            var wallBefore = Stopwatch.GetTimestamp();
            long pointCount = 0;
            for (var r = 0; r < rounds; r++)
            {
                Round(split: false, ref ignored, ref ignoredToo, ref ignoredBytes, ref pointCount);
            }

            var wallTicks = Stopwatch.GetTimestamp() - wallBefore;
            var cpuNanoseconds = CpuClock.Nanoseconds() - cpuBefore;
            var pushes = rounds * instances;
            cpuRates.Add(pushes / (cpuNanoseconds / 1e9));
            cpuPerPush.Add(cpuNanoseconds / 1e3 / pushes);
            rates.Add(pushes / Stats.Seconds(wallTicks));
            allocations.Add((GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (double)pushes);
            for (var generation = 0; generation < 3; generation++)
            {
                gcs[generation] += GC.CollectionCount(generation) - gcsBefore[generation];
            }

            pause += GC.GetTotalPauseDuration() - pauseBefore;
            measuredTicks += wallTicks;
            measuredPoints += pointCount;

            // Split: decode and ingest timed apart.
            long decodeCpu = 0, ingestCpu = 0, decodeBytes = 0, splitPoints = 0;
            for (var r = 0; r < rounds; r++)
            {
                Round(split: true, ref decodeCpu, ref ingestCpu, ref decodeBytes, ref splitPoints);
            }

            decodeShares.Add(decodeCpu / 1e3 / pushes);
            ingestShares.Add(ingestCpu / 1e3 / pushes);
            decodeAllocations.Add(decodeBytes / (double)pushes);
        }

        var median = Stats.Median(rates);
        var measuredPushes = (double)rounds * instances * repetitions;
        return new Result(
            measuredPoints / measuredPushes,
            Stats.Median(cpuRates),
            median,
            rates.Min(),
            rates.Max(),
            Stats.Median(cpuPerPush),
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
            pause.TotalSeconds * 100 / Stats.Seconds(measuredTicks));
    }

    private static void Push(MetricAggregator aggregator, byte[] body, int points)
    {
        var decoded = OtlpMetricsDecoder.DecodeProtobuf(body);
        if (!decoded.Succeeded)
        {
            throw new InvalidOperationException(decoded.Error);
        }

        Check(aggregator.Ingest(decoded.Request), points);
    }

    private static void Check(IngestResult result, int points)
    {
        if (result.Accepted != points)
        {
            throw new InvalidOperationException($"a push applied {result.Accepted} of {points} points (duplicates {result.Duplicates}, out of order {result.OutOfOrder}, rejected {result.Rejected})");
        }
    }
}
