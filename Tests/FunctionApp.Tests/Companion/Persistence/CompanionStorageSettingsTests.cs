using FunctionApp.Companion;
using global::Telemetry.Aggregation.Persistence;

namespace FunctionApp.Tests.Companion.Persistence;

/// <summary>Which storage and shard id the companion takes from its app settings.</summary>
public sealed class CompanionStorageSettingsTests
{
    private static Func<string, string?> Settings(params (string Name, string Value)[] settings) =>
        name => settings.FirstOrDefault(s => s.Name == name).Value;

    [Fact]
    public void FromSettings_NothingSet_IsInMemory() =>
        Assert.Null(BlobShardStore.FromSettings(Settings(), "AzureWebJobsStorage"));

    [Fact]
    public void FromSettings_ConnectionStringOrIdentityBasedForm_GivesAStore()
    {
        Assert.NotNull(BlobShardStore.FromSettings(Settings(("AzureWebJobsStorage", "UseDevelopmentStorage=true")), "AzureWebJobsStorage"));
        Assert.NotNull(BlobShardStore.FromSettings(
            Settings(("AzureWebJobsStorage__accountName", "account"), ("AzureWebJobsStorage__credential", "managedidentity"), ("AzureWebJobsStorage__clientId", "00000000-0000-0000-0000-000000000001")),
            "AzureWebJobsStorage"));
        Assert.NotNull(BlobShardStore.FromSettings(Settings(("AzureWebJobsStorage__blobServiceUri", "https://127.0.0.1:1/account")), "AzureWebJobsStorage"));
    }

    [Fact]
    public void WithEnvironment_InstanceId_PrefersTheCompanionSetting()
    {
        Assert.Equal("mine", CompanionHost.WithEnvironment(new CompanionOptions(), Settings(("COMPANION_INSTANCE_ID", "mine"), ("WEBSITE_INSTANCE_ID", "site"))).InstanceId);
        Assert.Equal("site", CompanionHost.WithEnvironment(new CompanionOptions(), Settings(("WEBSITE_INSTANCE_ID", "site"))).InstanceId);
        Assert.Equal("set", CompanionHost.WithEnvironment(new CompanionOptions { InstanceId = "set" }, Settings(("WEBSITE_INSTANCE_ID", "site"))).InstanceId);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("")]
    public void ShardBlobName_RejectsIdsThatAreNotPlainNames(string id) =>
        Assert.ThrowsAny<ArgumentException>(() => BlobShardStore.ShardBlobName(id));
}
