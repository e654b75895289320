using System.Diagnostics;
using Telemetry.Functions;

namespace FunctionApp.Tests.Telemetry.Functions;

/// <summary>The Azure Functions resource and span attributes (our addition).</summary>
public sealed class FunctionsResourceTests
{
    [Fact]
    public void CreateAttributes_FunctionsModeWithEverySetting_DescribesTheApp()
    {
        var attributes = FunctionsResource.CreateAttributes(functionsMode: true, "svc", Settings(
            ("WEBSITE_SITE_NAME", "my-gateway"),
            ("WEBSITE_INSTANCE_ID", "abc123"),
            ("CONTAINER_NAME", "container"),
            ("WEBSITE_MEMORY_LIMIT_MB", "1536"),
            ("REGION_NAME", "West Europe")));

        Assert.Equal(
            [
                new("cloud.provider", "azure"),
                new("cloud.platform", "azure_functions"),
                new("cloud.region", "westeurope"),
                new("faas.name", "my-gateway"),
                new("faas.instance", "abc123"),
                new("faas.max_memory", 1536L * 1024 * 1024),
                new("service.instance.id", FunctionsResource.ServiceInstanceId),
            ],
            attributes);
    }

    [Fact]
    public void CreateAttributes_FunctionsModeWithNoSettings_FallsBack()
    {
        var attributes = ToDictionary(FunctionsResource.CreateAttributes(functionsMode: true, "svc", Settings(("WEBSITE_SITE_NAME", " "))));

        Assert.Equal("svc", attributes["faas.name"]);
        Assert.Equal(Environment.MachineName, attributes["faas.instance"]);
        Assert.False(attributes.ContainsKey("cloud.region"));
        Assert.False(attributes.ContainsKey("faas.max_memory"));
    }

    [Fact]
    public void CreateAttributes_NoInstanceId_UsesContainerName()
    {
        var attributes = ToDictionary(FunctionsResource.CreateAttributes(functionsMode: true, "svc", Settings(("CONTAINER_NAME", "c-1"))));

        Assert.Equal("c-1", attributes["faas.instance"]);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("99999999999999999")]
    public void CreateAttributes_InvalidMemoryLimit_IsLeftOut(string value)
    {
        var attributes = ToDictionary(FunctionsResource.CreateAttributes(functionsMode: true, "svc", Settings(("WEBSITE_MEMORY_LIMIT_MB", value))));

        Assert.False(attributes.ContainsKey("faas.max_memory"));
    }

    [Fact]
    public void CreateAttributes_Standalone_OnlyServiceInstanceId()
    {
        var attributes = FunctionsResource.CreateAttributes(functionsMode: false, "svc", Settings(("WEBSITE_SITE_NAME", "my-gateway"), ("REGION_NAME", "eastus")));

        Assert.Equal([new("service.instance.id", FunctionsResource.ServiceInstanceId)], attributes);
    }

    [Fact]
    public void ServiceInstanceId_IsOneGuidPerProcess()
    {
        Assert.True(Guid.TryParse(FunctionsResource.ServiceInstanceId, out var id));
        Assert.NotEqual(Guid.Empty, id);
        Assert.Same(FunctionsResource.ServiceInstanceId, FunctionsResource.ServiceInstanceId);
    }

    [Fact]
    public void SpanAttributes_KnownInvocation_TagsRecordingSpan()
    {
        using var activity = new Activity("span") { IsAllDataRequested = true };

        FunctionsSpanAttributes.Add(activity, new FunctionsInvocation("inv-1"));

        Assert.Equal("inv-1", activity.GetTagItem("faas.invocation_id"));
        Assert.Equal("http", activity.GetTagItem("faas.trigger"));
    }

    [Fact]
    public void SpanAttributes_NoInvocationOrNotRecording_AddsNothing()
    {
        using var withoutInvocation = new Activity("span") { IsAllDataRequested = true };
        using var notRecording = new Activity("span") { IsAllDataRequested = false };

        FunctionsSpanAttributes.Add(withoutInvocation, null);
        FunctionsSpanAttributes.Add(notRecording, new FunctionsInvocation("inv-1"));
        FunctionsSpanAttributes.Add(null, new FunctionsInvocation("inv-1"));

        Assert.Empty(withoutInvocation.TagObjects);
        Assert.Empty(notRecording.TagObjects);
    }

    private static Func<string, string?> Settings(params (string Name, string Value)[] settings) =>
        name => settings.FirstOrDefault(setting => setting.Name == name).Value;

    private static Dictionary<string, object> ToDictionary(IReadOnlyList<KeyValuePair<string, object>> attributes) =>
        attributes.ToDictionary(attribute => attribute.Key, attribute => attribute.Value);
}
