using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using FunctionApp.Gateway.Configuration;
using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Hosting;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Gateway.RealWorld.Tests;

/// <summary>
/// krakend.json files shaped like the ones people run (<c>configs/*.json</c>: <c>$schema</c>, <c>@comment</c>,
/// telemetry, CORS and security namespaces we ignore, plugins, several backends per endpoint, sequential, static,
/// flatmap, no-op). Their internal hosts are pointed at loopback test services, and a handful of endpoints must
/// answer as KrakenD would. <c>check</c> accepts them with warnings; access-restricting namespaces refuse them.
/// </summary>
public sealed class RealWorldConfigTests : IDisposable
{
    private const string KrakendVersion = "Version 2.13.8";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "real-world-configs-" + Guid.NewGuid().ToString("N"));

    public RealWorldConfigTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string ConfigPath(string name) => Path.Combine(AppContext.BaseDirectory, "Gateway", "RealWorld", "configs", name);

    private static string ReadConfig(string name) => File.ReadAllText(ConfigPath(name));

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) :
        response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(", ", contentValues) : null;

    /// <summary>A fake internal service: answers by request path, records everything it receives.</summary>
    private static Task<CapturingBackend> Service(Func<HttpContext, Task> respond) => CapturingBackend.StartAsync(context => respond(context));

    private static Task Json(HttpContext context, string json, int status = 200) => CapturingBackend.RespondJsonAsync(context, json, status);

    private static Task Text(HttpContext context, string text, string contentType, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    // ---------------------------------------------------------------- ecommerce.json

    private sealed class Shop : IAsyncDisposable
    {
        public required CapturingBackend Catalog { get; init; }
        public required CapturingBackend Inventory { get; init; }
        public required CapturingBackend Reviews { get; init; }
        public required CapturingBackend Orders { get; init; }
        public required CapturingBackend Legacy { get; init; }
        public required TestGateway Gateway { get; init; }

        public static async Task<Shop> StartAsync()
        {
            var catalog = await Service(context => context.Request.Path.Value switch
            {
                "/api/products" => Text(context, """[{"id":1,"name":"Lamp","price":19.50},{"id":2,"name":"Desk","price":120}]""", "application/json"),
                "/api/products/1" => Json(context, """{"id":1,"name":"Lamp","price":19.50,"internal_sku":"L-1","supplier":{"name":"ACME","contact":"sales@acme.test"}}"""),
                "/api/products/2" => Json(context, """{"id":2,"name":"Desk","price":120,"internal_sku":"D-2","supplier":{"name":"Woody","contact":"w@woody.test"}}"""),
                "/api/products/1/related" => Json(context, """{"data":{"ids":[2,3]},"meta":{"page":1}}"""),
                "/maintenance" => Text(context, "down for maintenance", "text/plain", 503),
                _ => Json(context, """{"error":"no such route"}""", 404),
            });
            var inventory = await Service(context => context.Request.Path.Value switch
            {
                "/stock/1" => Json(context, """{"product_id":1,"available":7,"warehouse":"north"}"""),
                "/stock/2" => Json(context, """{"product_id":2,"available":0,"warehouse":"south"}"""),
                "/stock/summary" => Json(context, """{"total":42,"internal":"do-not-show"}"""),
                _ => Json(context, "{}", 404),
            });
            var reviews = await Service(context => context.Request.Query["product"].ToString() == "1"
                ? Text(context, """[{"stars":5,"text":"Great"},{"stars":4,"text":"Good"}]""", "application/json")
                : Text(context, "reviews down", "text/plain", 500));
            CapturingBackend? orders = null;
            orders = await Service(async context =>
            {
                var request = context.Request;
                if (request.Path == "/customers/c-42")
                {
                    await Json(context, """{"id":"c-42","name":"Ada","tier":"gold","email":"ada@example.test"}""");
                }
                else if (request.Path == "/orders" && HttpMethods.IsGet(request.Method))
                {
                    await Json(context, """{"orders":[{"id":"o-1","total":10.0}],"count":1,"debug":true}""");
                }
                else if (request.Path == "/orders")
                {
                    // The capturing backend has read the body already.
                    var body = orders!.Requests[^1].BodyText;
                    await (body.Contains("\"sku\"", StringComparison.Ordinal)
                        ? Json(context, """{"id":"o-2","status":"created"}""", 201)
                        : Text(context, """{"title":"sku is required"}""", "application/problem+json", 422));
                }
                else
                {
                    await Json(context, "{}", 404);
                }
            });
            var legacy = await Service(context =>
            {
                context.Response.Headers["X-Feed-Version"] = "1";
                return Text(context, "<rss><channel/></rss>\n", "application/rss+xml");
            });

            var json = ReadConfig("ecommerce.json")
                .Replace("http://catalog.internal:8001", catalog.BaseUrl, StringComparison.Ordinal)
                .Replace("http://inventory.internal:8002", inventory.BaseUrl, StringComparison.Ordinal)
                .Replace("http://reviews.internal:8005", reviews.BaseUrl, StringComparison.Ordinal)
                .Replace("http://orders.internal:8003", orders.BaseUrl, StringComparison.Ordinal)
                .Replace("http://legacy.internal:8004", legacy.BaseUrl, StringComparison.Ordinal);
            var gateway = await TestGateway.StartAsync(json);
            return new Shop { Catalog = catalog, Inventory = inventory, Reviews = reviews, Orders = orders, Legacy = legacy, Gateway = gateway };
        }

        public async ValueTask DisposeAsync()
        {
            await Gateway.DisposeAsync();
            foreach (var backend in new[] { Catalog, Inventory, Reviews, Orders, Legacy })
            {
                await backend.DisposeAsync();
            }
        }
    }

    /// <summary>request target → status, exact body, X-Krakend-Completed, Cache-Control.</summary>
    public static TheoryData<string, int, string, string, string?> ShopGetCases => new()
    {
        // A bare array, renamed; numbers keep their literal text.
        { "/v1/products", 200, """{"products":[{"id":1,"name":"Lamp","price":19.50},{"id":2,"name":"Desk","price":120}]}""", "true", "public, max-age=300" },

        // Three backends merged: deny (nested), allow + group, collection + mapping + group.
        { "/v1/products/1", 200, """{"id":1,"name":"Lamp","price":19.50,"reviews":{"items":[{"stars":5,"text":"Great"},{"stars":4,"text":"Good"}]},"stock":{"available":7,"warehouse":"north"},"supplier":{"name":"ACME"}}""", "true", "public, max-age=300" },

        // The reviews service fails with return_error_details: its error is data, the response incomplete.
        { "/v1/products/2", 200, """{"error_reviews":{"http_status_code":500,"http_body":"reviews down","http_body_encoding":"text/plain"},"id":2,"name":"Desk","price":120,"stock":{"available":0,"warehouse":"south"},"supplier":{"name":"Woody"}}""", "false", null },

        // Sequential: the second call uses the first one's id; cache_ttl 0s turns caching off.
        { "/v1/customers/c-42/orders", 200, """{"count":1,"id":"c-42","name":"Ada","orders":[{"id":"o-1","total":10.0}],"tier":"gold"}""", "true", null },

        // Static data fills in when the backend errors: 200, but not complete.
        { "/v1/status", 200, """{"retry_after":30,"status":"degraded"}""", "false", null },

        // Endpoint flatmap over the merged groups.
        { "/v1/dashboard", 200, """{"inventory":{"total":42},"products":[{"id":1,"name":"Lamp","price":19.50},{"id":2,"name":"Desk","price":120}]}""", "true", "public, max-age=300" },

        // Ignored plugins (Lua, martian, OpenAPI docs) leave the core behaviour: target.
        { "/v1/products/1/related", 200, """{"ids":[2,3]}""", "true", "public, max-age=300" },

        { "/v1/nothing-here", 404, "404 page not found", "false", null },
    };

    [Theory]
    [MemberData(nameof(ShopGetCases))]
    public async Task Ecommerce_GetEndpoints_AnswerLikeKrakend(string target, int expectedStatus, string expectedBody, string expectedCompleted, string? expectedCacheControl)
    {
        await using var shop = await Shop.StartAsync();

        var response = await shop.Gateway.Client.GetAsync(target);

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        Assert.Equal(expectedBody, await response.Content.ReadAsStringAsync());
        Assert.Equal(expectedCompleted, Header(response, "X-Krakend-Completed"));
        Assert.Equal(expectedCacheControl, Header(response, "Cache-Control"));
        Assert.Equal(KrakendVersion, Header(response, "X-Krakend"));
        Assert.Equal(expectedStatus == 200 ? "application/json; charset=utf-8" : "text/plain", Header(response, "Content-Type"));
    }

    [Fact]
    public async Task Ecommerce_Backends_ReceiveWhatTheConfigForwards()
    {
        await using var shop = await Shop.StartAsync();

        await shop.Gateway.Client.GetAsync("/v1/products?page=2&secret=s3&category=lamps");
        await shop.Gateway.Client.GetAsync("/v1/products/1");
        await shop.Gateway.Client.GetAsync("/v1/customers/c-42/orders");

        Assert.Contains(shop.Catalog.Requests, r => r.RawTarget == "/api/products?category=lamps&page=2");
        Assert.Contains(shop.Catalog.Requests, r => r.RawTarget == "/api/products/1");
        Assert.Equal("/stock/1", shop.Inventory.OnlyRequest().RawTarget);
        Assert.Equal("/reviews?product=1", shop.Reviews.OnlyRequest().RawTarget);
        Assert.Equal(["/customers/c-42", "/orders?customer=c-42"], shop.Orders.Requests.Select(r => r.RawTarget));
        Assert.All(shop.Catalog.Requests, r => Assert.Equal("KrakenD Version 2.13.8", r.Header("User-Agent")));
    }

    [Fact]
    public async Task Ecommerce_PostOrder_ForwardsBodyAndListedHeadersAndTurns201Into200()
    {
        await using var shop = await Shop.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/orders")
        {
            Content = new StringContent("""{"sku":"L-1","qty":1}""", new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer shopper");
        request.Headers.TryAddWithoutValidation("X-Request-Id", "req-1");
        request.Headers.TryAddWithoutValidation("X-Not-Listed", "dropped");

        var response = await shop.Gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"id":"o-2","status":"created"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("true", Header(response, "X-Krakend-Completed"));
        var received = shop.Orders.OnlyRequest();
        Assert.Equal("POST", received.Method);
        Assert.Equal("""{"sku":"L-1","qty":1}""", received.BodyText);
        Assert.Equal("Bearer shopper", received.Header("Authorization"));
        Assert.Equal("req-1", received.Header("X-Request-Id"));
        Assert.Equal("application/json", received.Header("Content-Type"));
        Assert.False(received.HasHeader("X-Not-Listed"));
    }

    [Fact]
    public async Task Ecommerce_PostInvalidOrder_ReturnsTheBackendStatusAndBody()
    {
        await using var shop = await Shop.StartAsync();

        var response = await shop.Gateway.Client.PostAsync("/v1/orders", new StringContent("""{"qty":0}""", new MediaTypeHeaderValue("application/json")));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("""{"title":"sku is required"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/problem+json", Header(response, "Content-Type"));
        Assert.Equal("false", Header(response, "X-Krakend-Completed"));
        Assert.Equal(KrakendVersion, Header(response, "X-Krakend"));
    }

    [Fact]
    public async Task Ecommerce_LegacyFeed_IsPassedThroughUntouched()
    {
        await using var shop = await Shop.StartAsync();

        var response = await shop.Gateway.Client.GetAsync("/v1/legacy/feed");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("<rss><channel/></rss>\n", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/rss+xml", Header(response, "Content-Type"));
        Assert.Equal("1", Header(response, "X-Feed-Version"));
        Assert.Equal("false", Header(response, "X-Krakend-Completed"));
        Assert.Equal(KrakendVersion, Header(response, "X-Krakend"));
        Assert.Null(Header(response, "Cache-Control"));
    }

    [Fact]
    public async Task Ecommerce_UnknownMethodOnKnownPath_Is405()
    {
        await using var shop = await Shop.StartAsync();

        var response = await shop.Gateway.Client.DeleteAsync("/v1/orders");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("POST", Header(response, "Allow"));
        Assert.Empty(shop.Orders.Requests);
    }

    // ---------------------------------------------------------------- mobile-bff.json

    private sealed class Mobile : IAsyncDisposable
    {
        public required CapturingBackend Api { get; init; }
        public required CapturingBackend Shadow { get; init; }
        public required TestGateway Gateway { get; init; }

        public static async Task<Mobile> StartAsync()
        {
            var api = await Service(context =>
            {
                var request = context.Request;
                return (request.Method, request.Path.Value) switch
                {
                    ("GET", "/users/current") => Json(context, """{"id":"u1","name":"Ada","avatar":"a.png","email":"ada@example.test","roles":["admin"]}"""),
                    ("PATCH", "/users/current") => request.Headers.Authorization.Count == 0
                        ? Json(context, """{"error":"unauthorized"}""", 401)
                        : Json(context, """{"id":"u1","updated":true}"""),
                    ("GET", "/timeline") => Json(context, """{"data":{"items":[1,2],"next":"def"},"debug":{"shard":3}}"""),
                    ("GET", "/search") => Text(context, """[{"id":1},{"id":2}]""", "application/json"),
                    ("GET", "/users/ada") => Json(context, """{"id":"ada","name":"Ada"}"""),
                    ("GET", "/users/ada/badges") => Text(context, """[{"badge":"early"}]""", "application/json"),
                    ("DELETE", "/notifications/9") => NoContent(context),
                    ("GET", "/app-config") => Text(context, "theme=dark\n", "text/plain"),
                    _ => Json(context, "{}", 404),
                };
            });
            var shadow = await Service(context => Json(context, """{"shadow":true,"name":"SHADOW"}"""));
            var json = ReadConfig("mobile-bff.json")
                .Replace("http://api.internal:9000", api.BaseUrl, StringComparison.Ordinal)
                .Replace("http://shadow.internal:9100", shadow.BaseUrl, StringComparison.Ordinal);
            var gateway = await TestGateway.StartAsync(json);
            return new Mobile { Api = api, Shadow = shadow, Gateway = gateway };
        }

        private static Task NoContent(HttpContext context)
        {
            context.Response.StatusCode = 204;
            context.Response.Headers["X-Deleted"] = "9";
            return Task.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await Api.DisposeAsync();
            await Shadow.DisposeAsync();
        }
    }

    /// <summary>request target → status, exact body, X-Krakend-Completed.</summary>
    public static TheoryData<string, int, string, string?> MobileGetCases => new()
    {
        { "/feed?cursor=abc&limit=2&debug=1", 200, """{"cursor":"def","items":[1,2]}""", "true" },
        { "/search?q=lamp", 200, """[{"id":1},{"id":2}]""", "true" },
        { "/profile/ada", 200, """{"badges":[{"badge":"early"}],"user":{"id":"ada","name":"Ada"}}""", "true" },
        { "/config", 200, """{"raw":{"content":"theme=dark\n"}}""", "true" },
        { "/healthz", 200, "", null },
        { "/__health", 404, "404 page not found", "false" },
    };

    [Theory]
    [MemberData(nameof(MobileGetCases))]
    public async Task MobileBff_GetEndpoints_AnswerLikeKrakend(string target, int expectedStatus, string expectedBody, string? expectedCompleted)
    {
        await using var mobile = await Mobile.StartAsync();

        var response = await mobile.Gateway.Client.GetAsync(target);

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        if (target == "/healthz")
        {
            Assert.Contains("\"status\":\"ok\"", body, StringComparison.Ordinal);
            return;
        }

        Assert.Equal(expectedBody, body);
        Assert.Equal(expectedCompleted, Header(response, "X-Krakend-Completed"));
        Assert.Equal("Version undefined", Header(response, "X-Krakend"));
    }

    [Fact]
    public async Task MobileBff_Me_AllowsFieldsAndForwardsOnlyListedHeaders()
    {
        await using var mobile = await Mobile.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/me");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer app");
        request.Headers.TryAddWithoutValidation("Accept-Language", "fr");
        request.Headers.TryAddWithoutValidation("Cookie", "tracking=1");

        var response = await mobile.Gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"avatar":"a.png","id":"u1","name":"Ada"}""", await response.Content.ReadAsStringAsync());
        var received = mobile.Api.OnlyRequest();
        Assert.Equal("/users/current", received.RawTarget);
        Assert.Equal("Bearer app", received.Header("Authorization"));
        Assert.Equal("fr", received.Header("Accept-Language"));
        Assert.False(received.HasHeader("Cookie"));
    }

    [Fact]
    public async Task MobileBff_PatchMeWithoutCredentials_ReturnsTheBackendStatusWithoutBody()
    {
        await using var mobile = await Mobile.StartAsync();

        var response = await mobile.Gateway.Client.PatchAsync("/me", new StringContent("""{"name":"Eve"}""", new MediaTypeHeaderValue("application/json")));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(string.Empty, await response.Content.ReadAsStringAsync());
        Assert.Equal("PATCH", mobile.Api.OnlyRequest().Method);
    }

    [Fact]
    public async Task MobileBff_AutoOptions_ListsTheMethodsOfThePath()
    {
        await using var mobile = await Mobile.StartAsync();

        var response = await mobile.Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/me"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("GET, PATCH", Header(response, "Allow"));
        Assert.Empty(mobile.Api.Requests);
    }

    [Fact]
    public async Task MobileBff_Feed_ForwardsOnlyListedQueryStringsToEveryConcurrentCall()
    {
        await using var mobile = await Mobile.StartAsync();

        var response = await mobile.Gateway.Client.GetAsync("/feed?limit=2&debug=1&cursor=abc");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEmpty(mobile.Api.Requests);
        Assert.All(mobile.Api.Requests, r => Assert.Equal("/timeline?cursor=abc&limit=2", r.RawTarget));
    }

    [Fact]
    public async Task MobileBff_ShadowBackend_IsCalledButNeverShown()
    {
        await using var mobile = await Mobile.StartAsync();

        var response = await mobile.Gateway.Client.GetAsync("/profile/ada");

        Assert.DoesNotContain("SHADOW", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("/users/ada", mobile.Shadow.OnlyRequest().RawTarget);
    }

    [Fact]
    public async Task MobileBff_DeleteNotification_NoOpPassesTheBackendAnswerThrough()
    {
        await using var mobile = await Mobile.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Delete, "/notifications/9");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer app");

        var response = await mobile.Gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("9", Header(response, "X-Deleted"));
        Assert.Equal("Version undefined", Header(response, "X-Krakend"));
        Assert.Equal("Bearer app", mobile.Api.OnlyRequest().Header("Authorization"));
    }

    // ---------------------------------------------------------------- check

    /// <summary>file → warnings check must print (each a whole line).</summary>
    public static TheoryData<string, string[]> CheckCases => new()
    {
        {
            "ecommerce.json",
            [
                "warning: extra_config.telemetry/logging: namespace not supported; ignored",
                "warning: extra_config.telemetry/metrics: namespace not supported; ignored",
                "warning: extra_config.security/cors: namespace not supported; ignored",
                "warning: extra_config.security/http: namespace not supported; ignored",
                "warning: endpoints[7].extra_config.documentation/openapi: namespace not supported; ignored",
                "warning: endpoints[7].extra_config.modifier/lua-endpoint: namespace not supported; ignored",
                "warning: endpoints[7].backend[0].extra_config.modifier/martian: namespace not supported; ignored",
            ]
        },
        {
            "mobile-bff.json",
            [
                "warning: extra_config.security/cors: namespace not supported; ignored",
                "warning: extra_config.telemetry/logging: namespace not supported; ignored",
                "warning: extra_config.telemetry/opentelemetry.exporters: is missing: telemetry is recorded but exported nowhere",
                "warning: endpoints[0].extra_config.documentation/openapi: namespace not supported; ignored",
                "warning: endpoints[6].extra_config.modifier/lua-endpoint: namespace not supported; ignored",
                "warning: endpoints[6].extra_config.qos/http-cache: namespace not supported; ignored",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(CheckCases))]
    public void Check_RealWorldFile_IsSyntaxOkWithWarnings(string file, string[] expectedWarnings)
    {
        var path = ConfigPath(file);
        using var output = new StringWriter();

        var exitCode = ConfigCheck.Run(path, output);

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.True(exitCode == 0, output.ToString());
        Assert.Equal($"Parsing configuration file: {path}", lines[0]);
        Assert.Equal("Syntax OK!", lines[^1]);
        var warnings = lines[1..^1];
        Assert.All(warnings, line => Assert.StartsWith("warning: ", line, StringComparison.Ordinal));
        Assert.Equal(expectedWarnings.Order(StringComparer.Ordinal), warnings.Order(StringComparer.Ordinal));

        // Comments and metadata are never reported.
        Assert.DoesNotContain("@comment", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("$schema", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("_private", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_PartnerApiWithJwtAndRateLimits_IsRefusedAndDoesNotStart()
    {
        var path = ConfigPath("partner-api.json");
        using var output = new StringWriter();

        var exitCode = ConfigCheck.Run(path, output);

        Assert.Equal(1, exitCode);
        var text = output.ToString();
        Assert.Contains("ERROR: 3 problems found:", text, StringComparison.Ordinal);
        Assert.Contains("  extra_config.qos/ratelimit/router: restricts access", text, StringComparison.Ordinal);
        Assert.Contains("  endpoints[0].extra_config.auth/validator: restricts access", text, StringComparison.Ordinal);
        Assert.Contains("  endpoints[0].backend[0].extra_config.qos/ratelimit/proxy: restricts access", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Syntax OK!", text, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ConfigException>(() => TestGateway.StartAsync(File.ReadAllText(path)));
    }

    /// <summary>Where in ecommerce.json a namespace is added: service, endpoint or backend level.</summary>
    public static TheoryData<string, string> RestrictingCases
    {
        get
        {
            var data = new TheoryData<string, string>();
            string[] namespaces =
            [
                "auth/validator", "auth/api-keys", "auth/basic", "auth/signer",
                "qos/ratelimit/router", "qos/ratelimit/proxy", "qos/ratelimit/tiered", "qos/ratelimit/service",
                "validation/json-schema", "validation/cel", "security/policies", "security/bot-detector",
            ];
            string[] levels = ["service", "endpoint", "backend"];
            for (var i = 0; i < namespaces.Length; i++)
            {
                // Each namespace at one level (rotating), so the table stays small but covers every level.
                data.Add(namespaces[i], levels[i % levels.Length]);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(RestrictingCases))]
    public void Check_RealWorldFileWithAccessRestrictingNamespace_IsRefused(string ns, string level)
    {
        var root = JsonNode.Parse(ReadConfig("ecommerce.json"))!.AsObject();
        var endpoint = root["endpoints"]![1]!.AsObject();
        var (target, expectedPath) = level switch
        {
            "service" => (root, "extra_config"),
            "endpoint" => (endpoint, "endpoints[1].extra_config"),
            _ => (endpoint["backend"]![0]!.AsObject(), "endpoints[1].backend[0].extra_config"),
        };
        if (target["extra_config"] is not JsonObject extra)
        {
            extra = new JsonObject();
            target["extra_config"] = extra;
        }

        extra[ns] = new JsonObject { ["@comment"] = "cannot be enforced here", ["enabled"] = true };
        var path = Path.Combine(_directory, "krakend.json");
        File.WriteAllText(path, root.ToJsonString());
        using var output = new StringWriter();

        var exitCode = ConfigCheck.Run(path, output);

        Assert.Equal(1, exitCode);
        Assert.Contains($"  {expectedPath}.{ns}: restricts access", output.ToString(), StringComparison.Ordinal);
        var exception = Assert.Throws<ConfigException>(() => ConfigLoader.Load(File.ReadAllText(path), path));
        Assert.Contains(exception.Problems, p => p.Path == $"{expectedPath}.{ns}");
    }
}
