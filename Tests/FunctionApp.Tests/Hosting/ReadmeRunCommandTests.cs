using System.Globalization;
using System.Net;
using System.Text.Json;
using FunctionApp.Tests.Common;

namespace FunctionApp.Hosting.Tests;

/// <summary>The README's first command, <c>dotnet run --project FunctionApp</c>, does something real offline.</summary>
[Collection(ProcessCollection.Name)]
public sealed class ReadmeRunCommandTests
{
    [Fact]
    public async Task DotnetRun_EmbeddedDefault_ProxiesToItsOwnEchoEndpoint()
    {
        var port = GatewayProcess.FreePort();
        await using var gateway = GatewayProcess.Start(
            "dotnet",
            ["run", "--project", "FunctionApp", "--", "-p", port.ToString(CultureInfo.InvariantCulture)],
            workingDirectory: GatewayProcess.RepositoryRoot);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

        using var response = await gateway.WaitForAsync(client, $"http://127.0.0.1:{port}/echo/hello?q=serverless", TimeSpan.FromMinutes(3));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("true", response.Headers.GetValues("X-Krakend-Completed").Single());
        using var echo = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("/__echo/hello?q=serverless", echo.RootElement.GetProperty("req_uri").GetString());
        Assert.Equal("GET", echo.RootElement.GetProperty("req_method").GetString());

        using var post = await client.PostAsync($"http://127.0.0.1:{port}/echo", new StringContent("hello body"));
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        using var postEcho = JsonDocument.Parse(await post.Content.ReadAsStringAsync());
        Assert.Equal("hello body", postEcho.RootElement.GetProperty("req_body").GetString());
    }

    [Fact]
    public async Task Check_ValidAndInvalidFiles_ExitCodesLikeKrakendCheck()
    {
        var directory = Directory.CreateTempSubdirectory("gateway-check-");
        try
        {
            var valid = Path.Combine(directory.FullName, "valid.json");
            var invalid = Path.Combine(directory.FullName, "invalid.json");
            await File.WriteAllTextAsync(valid, """{ "version": 3, "endpoints": [ { "endpoint": "/a", "backend": [ { "host": ["http://127.0.0.1:9"], "url_pattern": "/a" } ] } ] }""");
            await File.WriteAllTextAsync(invalid, """{ "version": 2, "endpoints": [ { "endpoint": "/__debug/x", "method": "TRACE", "backend": [] } ] }""");

            await using (var ok = GatewayProcess.Start(GatewayProcess.BuiltBinary, ["check", "-c", valid]))
            {
                Assert.Equal(0, await ok.WaitForExitAsync(TimeSpan.FromSeconds(30)));
                Assert.Contains("Syntax OK!", ok.Output, StringComparison.Ordinal);
            }

            await using var bad = GatewayProcess.Start(GatewayProcess.BuiltBinary, ["check", "-c", invalid]);
            Assert.Equal(1, await bad.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("version: unsupported version: 2 (want: 3)", bad.Output, StringComparison.Ordinal);
            Assert.Contains("endpoints[0].endpoint:", bad.Output, StringComparison.Ordinal);
            Assert.Contains("endpoints[0].method:", bad.Output, StringComparison.Ordinal);
            Assert.Contains("endpoints[0].backend: at least one backend is required", bad.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Syntax OK!", bad.Output, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
