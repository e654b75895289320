using static Telemetry.Configuration.Tests.TelemetryTestConfig;

namespace Telemetry.Configuration.Tests;

/// <summary><c>report_headers</c>: secrets are redacted unless allowed; <c>skip_headers</c> wins (§5.7).</summary>
public sealed class HeaderReportPolicyTests
{
    [Fact]
    public void SecretHeaders_AreTheFiveCredentialHeaders()
    {
        Assert.Equal(["Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "x-functions-key"], HeaderReportPolicy.SecretHeaders);
        Assert.Equal("[REDACTED]", HeaderReportPolicy.RedactedValue);
    }

    [Theory]
    [InlineData("Authorization")]
    [InlineData("authorization")]
    [InlineData("PROXY-AUTHORIZATION")]
    [InlineData("cookie")]
    [InlineData("Set-Cookie")]
    [InlineData("X-Functions-Key")]
    public void Classify_SecretHeader_IsRedactedByDefault(string header)
    {
        Assert.True(HeaderReportPolicy.IsSecret(header));
        Assert.Equal(HeaderReportAction.Redact, new HeaderReportPolicy([], []).Classify(header));
    }

    [Theory]
    [InlineData("Accept", HeaderReportAction.Report)]
    [InlineData("traceparent", HeaderReportAction.Report)]
    [InlineData("x-api-key", HeaderReportAction.Skip)]
    [InlineData("X-API-KEY", HeaderReportAction.Skip)]
    [InlineData("cookie", HeaderReportAction.Report)]
    [InlineData("Authorization", HeaderReportAction.Skip)]
    [InlineData("Set-Cookie", HeaderReportAction.Redact)]
    public void Classify_SkipWinsThenAllowList(string header, HeaderReportAction expected)
    {
        var policy = new HeaderReportPolicy(["X-Api-Key", "authorization"], ["Cookie", "Authorization"]);

        Assert.Equal(expected, policy.Classify(header));
    }

    [Fact]
    public void CreateHeaderPolicy_UsesEachLayersLists()
    {
        var layers = Valid("""
            {"layers":{
              "global":{"report_headers":true,"report_headers_allow_secrets":["Cookie"]},
              "proxy":{"report_headers":true,"skip_headers":["Cookie"]},
              "backend":{"traces":{"report_headers":true,"report_headers_allow_secrets":["authorization"]}}}}
            """).Layers;

        Assert.Equal(HeaderReportAction.Report, layers.Global.CreateHeaderPolicy().Classify("cookie"));
        Assert.Equal(HeaderReportAction.Redact, layers.Global.CreateHeaderPolicy().Classify("Authorization"));
        Assert.Equal(HeaderReportAction.Skip, layers.Proxy.CreateHeaderPolicy().Classify("cookie"));
        Assert.Equal(HeaderReportAction.Redact, layers.Proxy.CreateHeaderPolicy().Classify("x-functions-key"));
        Assert.Equal(HeaderReportAction.Report, layers.Backend.Traces.CreateHeaderPolicy().Classify("Authorization"));
        Assert.Equal(HeaderReportAction.Redact, layers.Backend.Traces.CreateHeaderPolicy().Classify("Set-Cookie"));
    }

    [Fact]
    public void ToString_NeverPrintsSecrets()
    {
        var options = Valid(
            """
            {"exporters":{
              "otlp":[{"name":"o"}],
              "prometheus":[{"name":"p","companion_url":"https://agg/x","companion_key":"CompanionSecret"}],
              "azure_monitor":[{"name":"a","connection_string":"InstrumentationKey=AiSecret"}]}}
            """,
            """{"otlp":[{"name":"o","headers":{"api-key":"HeaderSecret"}}]}""");

        var exporters = options.Exporters;
        var text = string.Join("|", exporters.Otlp[0], exporters.Prometheus[0], exporters.AzureMonitor[0]);
        var connection = options.Exporters.Otlp[0].ResolveConnection(TelemetryEnvironment.Empty).ToString();

        foreach (var secret in new[] { "CompanionSecret", "AiSecret", "HeaderSecret" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, connection, StringComparison.Ordinal);
        }

        Assert.Contains("api-key", text, StringComparison.Ordinal);
        Assert.Contains("api-key", connection, StringComparison.Ordinal);
    }
}
