using global::Telemetry.Prometheus;

namespace FunctionApp.Tests.Telemetry.Prometheus;

public sealed class OpenMetricsWriterTests
{
    [Fact]
    public void RenderOpenMetrics_CounterAndHistogram_FollowsOpenMetrics100()
    {
        var counter = new MetricFamily("http_client_request_started_count_total", MetricFamilyType.Counter, "Requests \"started\".");
        counter.Series.Add(MetricSeries.Sample([new MetricLabel("http_route", "/users/:id")], 3));
        var histogram = new MetricFamily("krakend_proxy_duration", MetricFamilyType.Histogram);
        histogram.Series.Add(MetricSeries.Histogram([new MetricLabel("http_route", "/users/:id")], [new HistogramBucket(0.1, 2), new HistogramBucket(1, 3)], 0.75, 3));

        var text = PrometheusTextWriter.RenderOpenMetrics([histogram, counter]);

        Assert.Equal(
            """
            # HELP http_client_request_started_count Requests \"started\".
            # TYPE http_client_request_started_count counter
            http_client_request_started_count_total{http_route="/users/:id"} 3
            # HELP krakend_proxy_duration 
            # TYPE krakend_proxy_duration histogram
            krakend_proxy_duration_bucket{http_route="/users/:id",le="0.1"} 2
            krakend_proxy_duration_bucket{http_route="/users/:id",le="1"} 3
            krakend_proxy_duration_bucket{http_route="/users/:id",le="+Inf"} 3
            krakend_proxy_duration_sum{http_route="/users/:id"} 0.75
            krakend_proxy_duration_count{http_route="/users/:id"} 3
            # EOF

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("text/plain", false)]
    [InlineData("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", true)]
    [InlineData("text/plain;version=0.0.4;q=0.5, application/openmetrics-text; version=1.0.0", true)]
    [InlineData("application/openmetrics-text;q=0", false)]
    public void AcceptsOpenMetrics_NegotiatesLikePrometheus(string? accept, bool expected) =>
        Assert.Equal(expected, PrometheusTextWriter.AcceptsOpenMetrics(accept));
}
