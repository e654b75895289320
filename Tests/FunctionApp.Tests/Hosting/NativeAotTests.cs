using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using FunctionApp.Tests.Common;

namespace FunctionApp.Hosting.Tests;

/// <summary>
/// The deployable is a native AOT binary: it must publish with no trim or AOT warning, and the binary it produces
/// must serve the custom-handler contract end to end (source-generated JSON, embedded config, Kestrel, backends).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class NativeAotTests
{
    [GeneratedRegex(@"warning (IL\d{4}|AOT\d+|CS\d{4}|NU\d{4})", RegexOptions.CultureInvariant)]
    private static partial Regex WarningPattern();

    [Fact]
    public async Task PublishAot_HasNoWarnings_AndTheNativeBinaryServesAsCustomHandler()
    {
        var output = Directory.CreateTempSubdirectory("gateway-aot-");
        try
        {
            await using (var publish = GatewayProcess.Start(
                "dotnet",
                ["publish", "FunctionApp/FunctionApp.csproj", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", output.FullName, "--nologo", "-clp:NoSummary"],
                workingDirectory: GatewayProcess.RepositoryRoot))
            {
                var exitCode = await publish.WaitForExitAsync(TimeSpan.FromMinutes(8));
                Assert.True(exitCode == 0, "dotnet publish -p:PublishAot=true failed:\n" + publish.Output);
                var warnings = WarningPattern().Matches(publish.Output).Select(m => m.Value).Distinct().ToArray();
                Assert.True(warnings.Length == 0, "publish warnings: " + string.Join(", ", warnings) + "\n" + publish.Output);
            }

            // The publish folder is a complete Functions app root.
            Assert.True(File.Exists(Path.Combine(output.FullName, "host.json")), "host.json missing from the publish folder");
            Assert.True(File.Exists(Path.Combine(output.FullName, "gateway", "function.json")), "gateway/function.json missing from the publish folder");
            Assert.False(File.Exists(Path.Combine(output.FullName, "FunctionApp.dll")), "expected a native binary, found IL");

            var port = GatewayProcess.FreePort();
            await using var gateway = GatewayProcess.Start(
                Path.Combine(output.FullName, "FunctionApp"),
                [],
                new Dictionary<string, string> { ["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(CultureInfo.InvariantCulture) },
                output.FullName);
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
            using var probe = await gateway.WaitForAsync(client, $"http://127.0.0.1:{port}/", TimeSpan.FromSeconds(30));
            Assert.Equal(HttpStatusCode.OK, probe.StatusCode);

            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/echo/aot?q=1&code=secret");
            request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("\"req_uri\":\"/__echo/aot?q=1\"", body, StringComparison.Ordinal);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
