using Telemetry.Prometheus;

namespace FunctionApp.Tests.Telemetry.Prometheus;

public class PrometheusNamingTests
{
    // Reference §6.2: the family names KrakenD's dashboards query.
    [Theory]
    [InlineData("http.server.duration", null, MetricFamilyType.Histogram, "http_server_duration")]
    [InlineData("http.server.response.size", null, MetricFamilyType.Histogram, "http_server_response_size")]
    [InlineData("http.server.request.duration", "s", MetricFamilyType.Histogram, "http_server_request_duration_seconds")]
    [InlineData("http.server.response.body.size", "By", MetricFamilyType.Histogram, "http_server_response_body_size_bytes")]
    [InlineData("krakend.proxy.duration", null, MetricFamilyType.Histogram, "krakend_proxy_duration")]
    [InlineData("krakend.backend.duration", "", MetricFamilyType.Histogram, "krakend_backend_duration")]
    [InlineData("http.client.request.started.count", null, MetricFamilyType.Counter, "http_client_request_started_count_total")]
    [InlineData("http.client.request.timedout.count", null, MetricFamilyType.Counter, "http_client_request_timedout_count_total")]
    [InlineData("http.client.request.size", null, MetricFamilyType.Counter, "http_client_request_size_total")]
    [InlineData("http.client.response.no-content-length", null, MetricFamilyType.Counter, "http_client_response_no_content_length_total")]
    [InlineData("http.client.response.no-content-length", "By", MetricFamilyType.Counter, "http_client_response_no_content_length_bytes_total")]
    [InlineData("http.client.request.get-conn.duration", null, MetricFamilyType.Histogram, "http_client_request_get_conn_duration")]
    [InlineData("http.client.request.dns.duration", "s", MetricFamilyType.Histogram, "http_client_request_dns_duration_seconds")]
    [InlineData("http.client.response.read.size", "b", MetricFamilyType.Counter, "http_client_response_read_size_total")]
    [InlineData("http.client.response.read.size-hist", "b", MetricFamilyType.Histogram, "http_client_response_read_size_hist")]
    [InlineData("http.client.response.read.time", "s", MetricFamilyType.Counter, "http_client_response_read_time_seconds_total")]
    [InlineData("http.client.response.read.time-hist", "s", MetricFamilyType.Histogram, "http_client_response_read_time_hist_seconds")]
    [InlineData("http.client.request.body.size", "By", MetricFamilyType.Histogram, "http_client_request_body_size_bytes")]
    public void MetricName_KrakenDInstruments_MatchGoExporter(string name, string? unit, MetricFamilyType type, string expected)
    {
        Assert.Equal(expected, PrometheusNaming.MetricName(name, unit, type));
    }

    [Theory]
    [InlineData("ms", "x_milliseconds")]
    [InlineData("us", "x_microseconds")]
    [InlineData("ns", "x_nanoseconds")]
    [InlineData("min", "x_minutes")]
    [InlineData("h", "x_hours")]
    [InlineData("d", "x_days")]
    [InlineData("KiBy", "x_kibibytes")]
    [InlineData("MBy", "x_megabytes")]
    [InlineData("1", "x_ratio")]
    [InlineData("%", "x_percent")]
    [InlineData("Cel", "x_celsius")]
    [InlineData("Hz", "x_hertz")]
    [InlineData("m", "x_meters")]
    [InlineData("g", "x_grams")]
    [InlineData("b", "x")]
    [InlineData("B", "x")]
    [InlineData("KB", "x")]
    [InlineData("{request}", "x")]
    [InlineData("S", "x")]
    public void MetricName_Unit_OnlyKnownUcumUnitsAddSuffix(string unit, string expected)
    {
        Assert.Equal(expected, PrometheusNaming.MetricName("x", unit, MetricFamilyType.Gauge));
    }

    [Theory]
    [InlineData("requests_total", null, "requests_total")]
    [InlineData("elapsed_seconds", "s", "elapsed_seconds_total")]
    [InlineData("elapsed_seconds_total", "s", "elapsed_seconds_total")]
    [InlineData("elapsed_total", "s", "elapsed_seconds_total")]
    public void MetricName_Counter_TotalComesAfterUnitOnce(string name, string? unit, string expected)
    {
        Assert.Equal(expected, PrometheusNaming.MetricName(name, unit, MetricFamilyType.Counter));
    }

    [Theory]
    [InlineData("a.b-c/d e", "a_b_c_d_e")]
    [InlineData("ns:sub_name", "ns:sub_name")]
    [InlineData("1st", "_1st")]
    [InlineData("caf\u00e9", "caf_")]
    [InlineData("x\U0001F600y", "x_y")]
    [InlineData("a..b", "a__b")]
    public void SanitizeMetricName_InvalidCharacters_BecomeUnderscores(string name, string expected)
    {
        Assert.Equal(expected, PrometheusNaming.SanitizeMetricName(name));
    }

    [Theory]
    [InlineData("http.request.method", "http_request_method")]
    [InlineData("krakend.endpoint.route", "krakend_endpoint_route")]
    [InlineData("clientname", "clientname")]
    [InlineData("a:b", "a_b")]
    [InlineData("9lives", "_9lives")]
    [InlineData("x-y", "x_y")]
    public void LabelName_AttributeKey_IsSanitised(string key, string expected)
    {
        Assert.Equal(expected, PrometheusNaming.LabelName(key));
    }

    [Fact]
    public void LabelValue_Types_RenderLikeGoEmit()
    {
        Assert.Equal("true", PrometheusNaming.LabelValue(true));
        Assert.Equal("false", PrometheusNaming.LabelValue(false));
        Assert.Equal("200", PrometheusNaming.LabelValue(200));
        Assert.Equal("-9223372036854775808", PrometheusNaming.LabelValue(long.MinValue));
        Assert.Equal("0.5", PrometheusNaming.LabelValue(0.5));
        Assert.Equal("1e+06", PrometheusNaming.LabelValue(1e6));
        Assert.Equal("text", PrometheusNaming.LabelValue("text"));
        Assert.Equal("", PrometheusNaming.LabelValue(null));
        Assert.Equal("[a b]", PrometheusNaming.LabelValue(new[] { "a", "b" }));
        Assert.Equal("[1 2]", PrometheusNaming.LabelValue(new long[] { 1, 2 }));
    }

    [Fact]
    public void Labels_KeysCollidingAfterSanitising_JoinValuesInKeyOrder()
    {
        var labels = PrometheusNaming.Labels(
        [
            new("a_b", "second"),
            new("a.b", "first"),
            new("c", 1),
        ]);

        Assert.Equal([new MetricLabel("a_b", "first;second"), new MetricLabel("c", "1")], labels);
    }
}
