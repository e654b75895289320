using System.Diagnostics;
using System.Text;
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
    public static Task<int> RunAsync(string workloadName, double seconds, PushTemplate template, Workload workload, int points)
    {
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var iterations = 0;
        switch (workloadName)
        {
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
                while (Stopwatch.GetTimestamp() < until)
                {
                    var families = filled.Collect().Concat(ProcessMetrics.Collect()).ToList();
                    _ = Encoding.UTF8.GetBytes(PrometheusTextWriter.Render(families));
                    iterations++;
                }

                break;
            default:
                Console.Error.WriteLine($"unknown profile workload {workloadName}: use ingest, decode, render or render-small");
                return Task.FromResult(2);
        }

        Console.Error.WriteLine($"[companion-bench] profile {workloadName}: {iterations} iterations in {seconds} s");
        return Task.FromResult(0);
    }
}
