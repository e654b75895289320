using System.Net;
using Azure.Core;
using FunctionApp.Tests.Common;
using global::Telemetry.Export.AzureMonitor;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Tests.Telemetry.Export.AzureMonitor;

public sealed class AppServiceManagedIdentityCredentialTests
{
    [Fact]
    public async Task GetToken_AsksTheIdentityEndpointOnceAndCaches()
    {
        var calls = new List<string>();
        await using var identity = await TestBackend.StartAsync(async context =>
        {
            lock (calls)
            {
                calls.Add($"{context.Request.QueryString.Value} {context.Request.Headers["X-IDENTITY-HEADER"]}");
            }

            context.Response.ContentType = "application/json";
            var expires = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
            await context.Response.WriteAsync($$"""{"access_token":"token-1","expires_on":"{{expires}}","resource":"https://monitor.azure.com/","token_type":"Bearer"}""");
        });
        using var credential = new AppServiceManagedIdentityCredential(new Uri($"{identity.BaseUrl}/msi/token"), "secret-header", "client-123");

        var first = await credential.GetTokenAsync(new TokenRequestContext(["https://monitor.azure.com//.default"]), default);
        var second = credential.GetToken(new TokenRequestContext(["https://monitor.azure.com//.default"]), default);

        Assert.Equal("token-1", first.Token);
        Assert.Equal("token-1", second.Token);
        Assert.True(first.ExpiresOn > DateTimeOffset.UtcNow.AddMinutes(30));
        var call = Assert.Single(calls);
        Assert.Equal("?api-version=2019-08-01&resource=https%3A%2F%2Fmonitor.azure.com%2F&client_id=client-123 secret-header", call);
    }

    [Fact]
    public void FromSettings_AadWithIdentityEndpoint_CreatesCredential()
    {
        var settings = new Dictionary<string, string>
        {
            ["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] = "Authorization=AAD;ClientId=abc",
            ["IDENTITY_ENDPOINT"] = "http://127.0.0.1:41234/msi/token",
            ["IDENTITY_HEADER"] = "s",
        };
        using var credential = AppServiceManagedIdentityCredential.FromSettings(name => settings.GetValueOrDefault(name), out var error);

        Assert.NotNull(credential);
        Assert.Null(error);
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData("Authorization=Other", "http://127.0.0.1:1/", null)]
    [InlineData("Authorization=AAD;ClientId=abc", null, "no managed identity endpoint")]
    public void FromSettings_OtherCases_NoCredential(string? authentication, string? endpoint, string? expectedError)
    {
        var credential = AppServiceManagedIdentityCredential.FromSettings(
            name => name switch
            {
                "APPLICATIONINSIGHTS_AUTHENTICATION_STRING" => authentication,
                "IDENTITY_ENDPOINT" => endpoint,
                "IDENTITY_HEADER" => endpoint is null ? null : "s",
                _ => null,
            },
            out var error);

        Assert.Null(credential);
        if (expectedError is null)
        {
            Assert.Null(error);
        }
        else
        {
            Assert.Contains(expectedError, error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GetToken_EndpointFails_Throws()
    {
        await using var identity = await TestBackend.StartAsync(context =>
        {
            context.Response.StatusCode = (int)HttpStatusCode.BadRequest;
            return Task.CompletedTask;
        });
        using var credential = new AppServiceManagedIdentityCredential(new Uri($"{identity.BaseUrl}/msi/token"), "s", null);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await credential.GetTokenAsync(new TokenRequestContext(["https://monitor.azure.com//.default"]), default));
    }
}
