using System.Diagnostics;
using Telemetry.Aggregation;
using Telemetry.Aggregation.Otlp;
using Telemetry.Prometheus;

namespace Bench.Companion;

/// <summary>
/// One workload in a loop for <c>seconds</c>, for a profiler (<c>dotnet-trace collect -- BenchCompanion --profile
/// ingest 20</c>): <c>ingest</c> (decode + ingest of 50 instances' pushes), <c>decode</c>, or <c>render</c> /
/// <c>render-small</c> (Collect + text + UTF-8 at ~10k series / ~10k samples).
/// </summary>
internal static class Profile
{
    public static Task<int> RunAsync(string workloadName, double seconds, PushTemplate template, Workload workload, int points, PushTemplate[] incremental, int[] incrementalPoints)
    {
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var iterations = 0;
        switch (workloadName)
        {
            case "ingest-incremental":
                var copies = Enumerable.Range(0, 50).Select(i => incremental.Select(t => t.ForInstance(i)).ToArray()).ToArray();
                var target = new MetricAggregator(new AggregatorOptions(), TimeProvider.System);
                var now = incremental.Max(static t => t.OriginalTime);
                var round = 0;
                while (Stopwatch.GetTimestamp() < until)
                {
                    now++;
                    for (var i = 0; i < copies.Length; i++)
                    {
                        var t = (i + round) % incremental.Length;
                        incremental[t].SetTime(copies[i][t], now);
                        if (target.Ingest(OtlpMetricsDecoder.DecodeProtobuf(copies[i][t]).Request!).Accepted != incrementalPoints[t])
                        {
                            throw new InvalidOperationException("a push was not applied whole");
                        }

                        iterations++;
                    }

                    round++;
                }

                break;
            case "ingest" or "decode":
                var bodies = Enumerable.Range(0, 50).Select(template.ForInstance).ToArray();
                var aggregator = new MetricAggregator(new AggregatorOptions(), TimeProvider.System);
                var time = template.OriginalTime;
                while (Stopwatch.GetTimestamp() < until)
                {
                    time++;
                    foreach (var body in bodies)
                    {
                        template.SetTime(body, time);
                        var decoded = OtlpMetricsDecoder.DecodeProtobuf(body);
                        if (workloadName == "ingest" && aggregator.Ingest(decoded.Request!).Accepted != points)
                        {
                            throw new InvalidOperationException("a push was not applied whole");
                        }

                        iterations++;
                    }
                }

                break;
            case "render" or "render-small":
                var filled = new MetricAggregator(new AggregatorOptions(), TimeProvider.System);
                workload.Fill(filled, 5, workloadName == "render" ? 100 : 6, static _ => true);
                using (var buffer = new ExpositionBuffer())
                {
                    while (Stopwatch.GetTimestamp() < until)
                    {
                        buffer.Reset();
                        PrometheusTextWriter.Write(filled.Collect().Concat(ProcessMetrics.Collect()), buffer);
                        iterations++;
                    }
                }

                break;
            default:
                Console.Error.WriteLine($"unknown profile workload {workloadName}: use ingest, ingest-incremental, decode, render or render-small");
                return Task.FromResult(2);
        }

        Console.Error.WriteLine($"[companion-bench] profile {workloadName}: {iterations} iterations in {seconds} s");
        return Task.FromResult(0);
    }
}
