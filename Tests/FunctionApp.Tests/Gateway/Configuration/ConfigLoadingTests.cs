namespace FunctionApp.Gateway.Configuration.Tests;

/// <summary>Valid configurations: what loads, and the defaults KrakenD's Init pass would apply.</summary>
public sealed class ConfigLoadingTests
{
    private const string EveryKey = """
        {
          "$schema": "https://www.krakend.io/schema/krakend.json",
          "@comment": "every key the gateway supports",
          "_note": { "anything": [1, 2, 3] },
          "#tag": true,
          "version": 3,
          "name": "full",
          "port": 9090,
          "listen_ip": "127.0.0.1",
          "timeout": "5s",
          "cache_ttl": "30s",
          "host": ["https://api.example.com/"],
          "output_encoding": "json",
          "debug_endpoint": true,
          "echo_endpoint": true,
          "disable_rest": false,
          "read_timeout": "10s",
          "write_timeout": "10s",
          "idle_timeout": "1m",
          "read_header_timeout": "1s",
          "max_header_bytes": 65536,
          "dialer_timeout": "1s",
          "dialer_keep_alive": "30s",
          "dialer_fallback_delay": "300ms",
          "idle_connection_timeout": "90s",
          "response_header_timeout": "4s",
          "expect_continue_timeout": "1500ms",
          "max_idle_connections": 100,
          "max_idle_connections_per_host": 50,
          "disable_keep_alives": true,
          "disable_compression": false,
          "max_shutdown_wait_time": "10s",
          "use_h2c": false,
          "allow_insecure_connections": false,
          "extra_config": {
            "@comment": "ignored",
            "router": {
              "@comment": "ignored",
              "return_error_msg": true,
              "hide_version_header": true,
              "health_path": "/status",
              "disable_health": false
            }
          },
          "endpoints": [
            {
              "@comment": "ignored",
              "endpoint": "/users/{id}",
              "method": "post",
              "timeout": "1500ms",
              "cache_ttl": "1m",
              "concurrent_calls": 1,
              "input_headers": ["Authorization", "x-request-id"],
              "input_query_strings": ["page"],
              "output_encoding": "json",
              "extra_config": { "proxy": { "@comment": "ignored" } },
              "backend": [
                {
                  "@comment": "ignored",
                  "host": ["backend.internal:8081"],
                  "url_pattern": "/v1/users/{id}?source=gateway",
                  "method": "put",
                  "encoding": "json",
                  "is_collection": false,
                  "group": "",
                  "target": "",
                  "allow": [],
                  "deny": [],
                  "mapping": {},
                  "sd": "static",
                  "sd_scheme": "http",
                  "disable_host_sanitize": false,
                  "extra_config": { "backend/http": {}, "backend/http/client": {}, "proxy": {} }
                }
              ]
            },
            {
              "endpoint": "/raw",
              "output_encoding": "no-op",
              "backend": [
                { "url_pattern": "/raw", "host": ["http://verbatim.example/base/"], "disable_host_sanitize": true, "encoding": "json" }
              ]
            },
            {
              "endpoint": "/inherits",
              "backend": [ { "url_pattern": "/x" } ]
            }
          ]
        }
        """;

    [Fact]
    public void Load_MinimalConfig_AppliesServiceDefaults()
    {
        var model = ConfigFixtures.Load(ConfigFixtures.Minimal);

        Assert.Equal(string.Empty, model.Name);
        Assert.Equal(8080, model.Port);
        Assert.Null(model.ListenIp);
        Assert.Equal(TimeSpan.FromSeconds(2), model.Timeout);
        Assert.False(model.DebugEndpoint);
        Assert.False(model.EchoEndpoint);
        Assert.Equal(new RouterOptions(), model.Router);
        Assert.Equal("/__health", model.Router.HealthPath);
        Assert.Equal(new BackendClientOptions(), model.Client);
        Assert.Empty(model.Unsupported);
    }

    [Fact]
    public void Load_MinimalConfig_AppliesEndpointAndBackendDefaults()
    {
        var model = ConfigFixtures.Load(ConfigFixtures.Minimal);

        var endpoint = Assert.Single(model.Endpoints);
        Assert.Equal("/a", endpoint.Template.Text);
        Assert.Equal("GET", endpoint.Method);
        Assert.Equal(TimeSpan.FromSeconds(2), endpoint.Timeout);
        Assert.Equal(TimeSpan.Zero, endpoint.CacheTtl);
        Assert.Equal("json", endpoint.OutputEncoding);
        Assert.Equal("endpoints[0]", endpoint.ConfigPath);
        Assert.Equal("GET /a", endpoint.ToString());

        var backend = Assert.Single(endpoint.Backends);
        Assert.Equal(["http://example.com"], backend.Hosts);
        Assert.Equal("/b", backend.UrlPattern.Text);
        Assert.False(backend.UrlPattern.HasQuery);
        Assert.Equal("GET", backend.Method);
        Assert.Equal("json", backend.Encoding);
        Assert.Equal(TimeSpan.FromSeconds(2), backend.Timeout);
        Assert.Equal("endpoints[0].backend[0]", backend.ConfigPath);
    }

    [Fact]
    public void Load_NoInputHeaders_ForwardsOnlyContentType()
    {
        var endpoint = Assert.Single(ConfigFixtures.Load(ConfigFixtures.Minimal).Endpoints);

        Assert.False(endpoint.InputHeaders.All);
        Assert.Equal(["Content-Type"], endpoint.InputHeaders.Names);
        Assert.True(endpoint.InputHeaders.Allows("Content-Type"));
        Assert.True(endpoint.InputHeaders.Allows("content-type"));
        Assert.False(endpoint.InputHeaders.Allows("Accept"));
        Assert.False(endpoint.InputHeaders.Allows("Authorization"));
    }

    [Fact]
    public void Load_EmptyInputHeadersList_ForwardsOnlyContentType()
    {
        var json = ConfigFixtures.WithEndpoints("""{ "endpoint": "/a", "input_headers": [], "backend": [ { "url_pattern": "/b" } ] }""");

        var endpoint = Assert.Single(ConfigFixtures.Load(json).Endpoints);

        Assert.Equal(["Content-Type"], endpoint.InputHeaders.Names);
    }

    [Fact]
    public void Load_NamedInputHeaders_ReplaceTheDefaultAndMatchCaseInsensitively()
    {
        var json = ConfigFixtures.WithEndpoints("""{ "endpoint": "/a", "input_headers": ["x-request-id"], "backend": [ { "url_pattern": "/b" } ] }""");

        var endpoint = Assert.Single(ConfigFixtures.Load(json).Endpoints);

        Assert.True(endpoint.InputHeaders.Allows("X-Request-Id"));
        Assert.False(endpoint.InputHeaders.Allows("Content-Type"));
    }

    [Fact]
    public void Load_WildcardInputHeadersAndQueryStrings_ForwardEverything()
    {
        var json = ConfigFixtures.WithEndpoints("""{ "endpoint": "/a", "input_headers": ["*"], "input_query_strings": ["*"], "backend": [ { "url_pattern": "/b" } ] }""");

        var endpoint = Assert.Single(ConfigFixtures.Load(json).Endpoints);

        Assert.True(endpoint.InputHeaders.All);
        Assert.True(endpoint.InputHeaders.Allows("Cookie"));
        Assert.True(endpoint.InputQueryStrings.All);
        Assert.True(endpoint.InputQueryStrings.Allows("anything"));
    }

    [Fact]
    public void Load_NoInputQueryStrings_ForwardsNone()
    {
        var endpoint = Assert.Single(ConfigFixtures.Load(ConfigFixtures.Minimal).Endpoints);

        Assert.True(endpoint.InputQueryStrings.IsEmpty);
        Assert.False(endpoint.InputQueryStrings.Allows("page"));
    }

    [Fact]
    public void Load_NamedInputQueryStrings_MatchCaseSensitively()
    {
        var json = ConfigFixtures.WithEndpoints("""{ "endpoint": "/a", "input_query_strings": ["page"], "backend": [ { "url_pattern": "/b" } ] }""");

        var endpoint = Assert.Single(ConfigFixtures.Load(json).Endpoints);

        Assert.True(endpoint.InputQueryStrings.Allows("page"));
        Assert.False(endpoint.InputQueryStrings.Allows("Page"));
    }

    [Fact]
    public void Load_EverySupportedKey_LoadsWithoutWarnings()
    {
        var model = ConfigFixtures.Load(EveryKey);

        Assert.Empty(model.Unsupported);
        Assert.Equal("full", model.Name);
        Assert.Equal(9090, model.Port);
        Assert.Equal("127.0.0.1", model.ListenIp);
        Assert.Equal(TimeSpan.FromSeconds(5), model.Timeout);
        Assert.True(model.DebugEndpoint);
        Assert.True(model.EchoEndpoint);
        Assert.Equal(3, model.Endpoints.Count);
    }

    [Fact]
    public void Load_EverySupportedKey_ReadsRouterOptions()
    {
        var router = ConfigFixtures.Load(EveryKey).Router;

        Assert.True(router.ReturnErrorMessage);
        Assert.True(router.HideVersionHeader);
        Assert.Equal("/status", router.HealthPath);
        Assert.False(router.DisableHealth);
    }

    [Fact]
    public void Load_EverySupportedKey_ReadsClientOptions()
    {
        var client = ConfigFixtures.Load(EveryKey).Client;

        Assert.Equal(TimeSpan.FromSeconds(1), client.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), client.KeepAlive);
        Assert.Equal(TimeSpan.FromSeconds(90), client.IdleConnectionTimeout);
        Assert.Equal(TimeSpan.FromSeconds(4), client.ResponseHeaderTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), client.ExpectContinueTimeout);
        Assert.True(client.DisableKeepAlives);
    }

    [Fact]
    public void Load_EverySupportedKey_ReadsEndpointAndBackend()
    {
        var endpoint = ConfigFixtures.Load(EveryKey).Endpoints[0];

        Assert.Equal("/users/{id}", endpoint.Template.Text);
        Assert.Equal("POST", endpoint.Method);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), endpoint.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(1), endpoint.CacheTtl);
        Assert.Equal("json", endpoint.OutputEncoding);
        Assert.True(endpoint.InputHeaders.Allows("authorization"));
        Assert.True(endpoint.InputHeaders.Allows("X-Request-Id"));
        Assert.False(endpoint.InputHeaders.Allows("Content-Type"));
        Assert.True(endpoint.InputQueryStrings.Allows("page"));

        var backend = Assert.Single(endpoint.Backends);
        Assert.Equal(["http://backend.internal:8081"], backend.Hosts);
        Assert.Equal("/v1/users/{id}?source=gateway", backend.UrlPattern.Text);
        Assert.True(backend.UrlPattern.HasQuery);
        Assert.Equal("PUT", backend.Method);
        Assert.Equal("json", backend.Encoding);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), backend.Timeout);
    }

    [Fact]
    public void Load_NoOpOutputEncoding_ForcesBackendEncodingToNoOp()
    {
        var endpoint = ConfigFixtures.Load(EveryKey).Endpoints[1];

        Assert.Equal("no-op", endpoint.OutputEncoding);
        Assert.Equal("no-op", Assert.Single(endpoint.Backends).Encoding);
    }

    [Fact]
    public void Load_DisableHostSanitize_KeepsHostVerbatimExceptTrailingSlash()
    {
        var backend = Assert.Single(ConfigFixtures.Load(EveryKey).Endpoints[1].Backends);

        Assert.Equal(["http://verbatim.example/base"], backend.Hosts);
    }

    [Fact]
    public void Load_EndpointWithoutOwnSettings_InheritsServiceTimeoutCacheTtlAndHost()
    {
        var endpoint = ConfigFixtures.Load(EveryKey).Endpoints[2];

        Assert.Equal(TimeSpan.FromSeconds(5), endpoint.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(30), endpoint.CacheTtl);
        var backend = Assert.Single(endpoint.Backends);
        Assert.Equal(["https://api.example.com"], backend.Hosts);
        Assert.Equal(TimeSpan.FromSeconds(5), backend.Timeout);
    }

    [Fact]
    public void Load_ServiceCacheTtl_IsOverriddenByEndpointCacheTtl()
    {
        var json = """
            {
              "version": 3, "cache_ttl": "10s", "host": ["h.test"],
              "endpoints": [
                { "endpoint": "/inherit", "backend": [ { "url_pattern": "/x" } ] },
                { "endpoint": "/own", "cache_ttl": "1h", "backend": [ { "url_pattern": "/x" } ] },
                { "endpoint": "/off", "cache_ttl": "0s", "backend": [ { "url_pattern": "/x" } ] }
              ]
            }
            """;

        var endpoints = ConfigFixtures.Load(json).Endpoints;

        Assert.Equal(TimeSpan.FromSeconds(10), endpoints[0].CacheTtl);
        Assert.Equal(TimeSpan.FromHours(1), endpoints[1].CacheTtl);
        Assert.Equal(TimeSpan.Zero, endpoints[2].CacheTtl);
    }

    [Fact]
    public void Load_ServiceHosts_AreUsedOnlyByBackendsWithoutTheirOwn()
    {
        var json = """
            {
              "version": 3, "host": ["service.test", "https://service2.test:8443/"],
              "endpoints": [
                { "endpoint": "/a", "backend": [ { "url_pattern": "/x" } ] },
                { "endpoint": "/b", "backend": [ { "host": [], "url_pattern": "/x" } ] },
                { "endpoint": "/c", "backend": [ { "host": ["own.test"], "url_pattern": "/x" } ] }
              ]
            }
            """;

        var endpoints = ConfigFixtures.Load(json).Endpoints;

        Assert.Equal(["http://service.test", "https://service2.test:8443"], endpoints[0].Backends[0].Hosts);
        Assert.Equal(["http://service.test", "https://service2.test:8443"], endpoints[1].Backends[0].Hosts);
        Assert.Equal(["http://own.test"], endpoints[2].Backends[0].Hosts);
    }

    [Fact]
    public void Load_BackendWithoutMethod_InheritsTheEndpointMethod()
    {
        var json = ConfigFixtures.WithEndpoints(
            """{ "endpoint": "/a", "method": "DELETE", "backend": [ { "url_pattern": "/x" } ] }""",
            """{ "endpoint": "/b", "method": "POST", "backend": [ { "url_pattern": "/x", "method": "GET" } ] }""");

        var endpoints = ConfigFixtures.Load(json).Endpoints;

        Assert.Equal("DELETE", endpoints[0].Backends[0].Method);
        Assert.Equal("GET", endpoints[1].Backends[0].Method);
    }

    [Fact]
    public void Load_ServiceOutputEncoding_IsInheritedByEndpoints()
    {
        var json = """
            {
              "version": 3, "output_encoding": "no-op", "host": ["h.test"],
              "endpoints": [
                { "endpoint": "/a", "backend": [ { "url_pattern": "/x" } ] },
                { "endpoint": "/b", "output_encoding": "json", "backend": [ { "url_pattern": "/x" } ] }
              ]
            }
            """;

        var endpoints = ConfigFixtures.Load(json).Endpoints;

        Assert.Equal("no-op", endpoints[0].OutputEncoding);
        Assert.Equal("no-op", endpoints[0].Backends[0].Encoding);
        Assert.Equal("json", endpoints[1].OutputEncoding);
        Assert.Equal("json", endpoints[1].Backends[0].Encoding);
    }

    [Fact]
    public void Load_EmptyStrings_MeanUnsetAsInKrakenD()
    {
        // KrakenD cannot tell "" from a missing key: both get the default.
        var json = """
            {
              "version": 3, "output_encoding": "", "host": ["h.test"],
              "endpoints": [
                { "endpoint": "/a", "method": "", "output_encoding": "", "backend": [ { "url_pattern": "/x", "method": "", "encoding": "" } ] }
              ]
            }
            """;

        var endpoint = Assert.Single(ConfigFixtures.Load(json).Endpoints);

        Assert.Equal("GET", endpoint.Method);
        Assert.Equal("json", endpoint.OutputEncoding);
        Assert.Equal("GET", endpoint.Backends[0].Method);
        Assert.Equal("json", endpoint.Backends[0].Encoding);
    }

    [Fact]
    public void Load_ZeroPortAndTimeouts_MeanTheDefaultsAsInKrakenD()
    {
        var json = """
            {
              "version": 3, "port": 0, "timeout": "0s", "host": ["h.test"],
              "endpoints": [ { "endpoint": "/a", "timeout": "0", "backend": [ { "url_pattern": "/x" } ] } ]
            }
            """;

        var model = ConfigFixtures.Load(json);

        Assert.Equal(8080, model.Port);
        Assert.Equal(TimeSpan.FromSeconds(2), model.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(2), model.Endpoints[0].Timeout);
    }

    [Fact]
    public void Load_EndpointTimeoutZero_InheritsServiceTimeout()
    {
        var json = """
            {
              "version": 3, "timeout": "7s", "host": ["h.test"],
              "endpoints": [ { "endpoint": "/a", "timeout": "0s", "backend": [ { "url_pattern": "/x" } ] } ]
            }
            """;

        Assert.Equal(TimeSpan.FromSeconds(7), Assert.Single(ConfigFixtures.Load(json).Endpoints).Timeout);
    }

    [Theory]
    [InlineData("get", "GET")]
    [InlineData("Post", "POST")]
    [InlineData("PUT", "PUT")]
    [InlineData("patch", "PATCH")]
    [InlineData("DELETE", "DELETE")]
    public void Load_SupportedMethodInAnyCase_IsUpperCased(string method, string expected)
    {
        var json = ConfigFixtures.WithEndpoints(ConfigFixtures.Endpoint("/a", method: method));

        Assert.Equal(expected, Assert.Single(ConfigFixtures.Load(json).Endpoints).Method);
    }

    [Fact]
    public void Load_SamePathWithDifferentMethods_IsAllowed()
    {
        var json = ConfigFixtures.WithEndpoints(
            ConfigFixtures.Endpoint("/users/{id}", "/u/{id}", "GET"),
            ConfigFixtures.Endpoint("/users/{id}", "/u/{id}", "PUT"),
            ConfigFixtures.Endpoint("/users/{id}", "/u/{id}", "DELETE"));

        var endpoints = ConfigFixtures.Load(json).Endpoints;

        Assert.Equal(["GET", "PUT", "DELETE"], endpoints.Select(e => e.Method));
    }

    [Fact]
    public void Load_LiteralAndParameterAtSamePosition_AreBothAllowed()
    {
        var json = ConfigFixtures.WithEndpoints(
            ConfigFixtures.Endpoint("/users/me", "/me"),
            ConfigFixtures.Endpoint("/users/{id}", "/u/{id}"));

        Assert.Equal(2, ConfigFixtures.Load(json).Endpoints.Count);
    }

    [Fact]
    public void Load_KeysStartingWithIgnoredPrefixes_AreIgnoredEverywhere()
    {
        var json = """
            {
              "$schema": "https://www.krakend.io/schema/krakend.json",
              "@comment": 1, "_private": [true], "#hash": { "x": "y" },
              "version": 3,
              "extra_config": {
                "@comment": "a namespace-shaped comment",
                "$ref": 2, "_x": {}, "#y": [],
                "router": { "@comment": "x", "$x": 1, "_x": 2, "#x": 3 }
              },
              "endpoints": [
                {
                  "@comment": "x", "$x": 1, "_x": 2, "#x": 3,
                  "endpoint": "/a",
                  "extra_config": { "@comment": "x", "proxy": { "@comment": "x", "_x": 1 } },
                  "backend": [
                    {
                      "@comment": "x", "$x": 1, "_x": 2, "#x": 3,
                      "host": ["h.test"], "url_pattern": "/b",
                      "extra_config": { "@comment": "x", "backend/http": { "@comment": "x" } }
                    }
                  ]
                }
              ]
            }
            """;

        var model = ConfigFixtures.Load(json);

        Assert.Empty(model.Unsupported);
        Assert.Single(model.Endpoints);
    }

    [Theory]
    [InlineData("@comment", true)]
    [InlineData("$schema", true)]
    [InlineData("_x", true)]
    [InlineData("#x", true)]
    [InlineData("router", false)]
    [InlineData("x@", false)]
    [InlineData("", false)]
    public void IsIgnoredKey_Prefix_IsRecognised(string key, bool ignored)
    {
        Assert.Equal(ignored, GatewayModelBuilder.IsIgnoredKey(key));
    }

    [Theory]
    [InlineData("router")]
    [InlineData("github_com/luraproject/lura/router/gin")]
    public void Load_RouterNamespaceInEitherSpelling_IsRead(string name)
    {
        var json = $$"""
            {
              "version": 3,
              "extra_config": { "{{name}}": { "return_error_msg": true, "hide_version_header": true, "health_path": "/healthz", "disable_health": true } },
              "endpoints": []
            }
            """;

        var model = ConfigFixtures.Load(json);

        Assert.Equal(
            new RouterOptions { ReturnErrorMessage = true, HideVersionHeader = true, HealthPath = "/healthz", DisableHealth = true },
            model.Router);
        Assert.Empty(model.Unsupported);
    }

    [Theory]
    [InlineData("router")]
    [InlineData("github_com/luraproject/lura/router/gin")]
    public void Load_UnknownRouterOption_IsReportedAsUnsupportedWithItsPath(string name)
    {
        var json = $$"""{ "version": 3, "extra_config": { "{{name}}": { "app_engine": true } }, "endpoints": [] }""";

        var problem = Assert.Single(ConfigFixtures.Load(json).Unsupported);

        Assert.Equal($"extra_config.{name}.app_engine", problem.Path);
        Assert.Equal("router option not supported; ignored", problem.Message);
    }

    [Theory]
    [InlineData("proxy")]
    [InlineData("github.com/devopsfaith/krakend/proxy")]
    public void Load_ProxyNamespaceInEitherSpelling_IsRecognised(string name)
    {
        var json = ConfigFixtures.WithEndpoints($$"""{ "endpoint": "/a", "extra_config": { "{{name}}": {} }, "backend": [ { "url_pattern": "/b", "extra_config": { "{{name}}": {} } } ] }""");

        Assert.Empty(ConfigFixtures.Load(json).Unsupported);
    }

    [Theory]
    [InlineData("backend/http")]
    [InlineData("github.com/devopsfaith/krakend/http")]
    [InlineData("backend/http/client")]
    public void Load_BackendHttpNamespaceInEitherSpelling_IsRecognised(string name)
    {
        var json = ConfigFixtures.WithEndpoints($$"""{ "endpoint": "/a", "backend": [ { "url_pattern": "/b", "extra_config": { "{{name}}": {} } } ] }""");

        Assert.Empty(ConfigFixtures.Load(json).Unsupported);
    }

    [Fact]
    public void Load_UnknownExtraConfigNamespaces_AreUnsupportedNotErrors()
    {
        var json = """
            {
              "version": 3,
              "host": ["h.test"],
              "extra_config": { "security/cors": { "allow_origins": ["*"] }, "telemetry/logging": {} },
              "endpoints": [
                {
                  "endpoint": "/a",
                  "extra_config": { "documentation/openapi": { "summary": "a" } },
                  "backend": [ { "url_pattern": "/b", "extra_config": { "modifier/martian": {} } } ]
                }
              ]
            }
            """;

        var model = ConfigFixtures.Load(json);

        Assert.Equal(
            [
                new ConfigProblem("extra_config.security/cors", "namespace not supported; ignored"),
                new ConfigProblem("extra_config.telemetry/logging", "namespace not supported; ignored"),
                new ConfigProblem("endpoints[0].extra_config.documentation/openapi", "namespace not supported; ignored"),
                new ConfigProblem("endpoints[0].backend[0].extra_config.modifier/martian", "namespace not supported; ignored"),
            ],
            model.Unsupported);
        Assert.Single(model.Endpoints);
    }

    [Fact]
    public void Load_NoEndpointsKey_WarnsButLoads()
    {
        var model = ConfigFixtures.Load("""{ "version": 3 }""");

        Assert.Empty(model.Endpoints);
        Assert.Equal(new ConfigProblem("endpoints", "no endpoints are defined"), Assert.Single(model.Unsupported));
    }

    [Fact]
    public void Load_EmptyEndpointsList_LoadsWithoutWarnings()
    {
        var model = ConfigFixtures.Load("""{ "version": 3, "endpoints": [] }""");

        Assert.Empty(model.Endpoints);
        Assert.Empty(model.Unsupported);
    }

    [Fact]
    public void Load_PropertyNamesInOtherCase_AreRead()
    {
        var model = ConfigFixtures.Load("""{ "Version": 3, "PORT": 1234, "endpoints": [] }""");

        Assert.Equal(1234, model.Port);
    }

    [Fact]
    public void Load_UnknownPlainKeys_AreIgnored()
    {
        var json = """{ "version": 3, "not_a_krakend_key": { "x": 1 }, "endpoints": [] }""";

        Assert.Empty(ConfigFixtures.Load(json).Unsupported);
    }

    [Fact]
    public void Load_UrlPatternWithQuery_KeepsTheQuery()
    {
        var json = ConfigFixtures.WithEndpoints(ConfigFixtures.Endpoint("/param_forwarding/{foo}/{bar}", "/param_forwarding/{bar}?foo={foo}"));

        var pattern = Assert.Single(ConfigFixtures.Load(json).Endpoints).Backends[0].UrlPattern;

        Assert.True(pattern.HasQuery);
        Assert.Equal(["bar", "foo"], pattern.PlaceholderNames);
    }

    [Fact]
    public void ReadEmbeddedDefault_WithoutPort_LoadsAsAValidConfig()
    {
        var model = ConfigLoader.Load(ConfigLoader.ReadEmbeddedDefault(), "(embedded default)");

        Assert.Empty(model.Unsupported);
        Assert.True(model.EchoEndpoint);
        Assert.True(model.DebugEndpoint);
        Assert.Equal(TimeSpan.FromSeconds(3), model.Timeout);
        Assert.Equal(["GET /echo/{word}", "POST /echo", "GET /ping", "GET /health"], model.Endpoints.Select(e => e.ToString()));
        Assert.All(model.Endpoints, e => Assert.Equal(["http://127.0.0.1:8080"], e.Backends[0].Hosts));
    }

    [Fact]
    public void ReadEmbeddedDefault_WithPort_TargetsTheGatewayOnThatPort()
    {
        var model = ConfigLoader.Load(ConfigLoader.ReadEmbeddedDefault(9123), "(embedded default)");

        Assert.All(model.Endpoints, e => Assert.Equal(["http://127.0.0.1:9123"], e.Backends[0].Hosts));
    }

    [Fact]
    public void Locate_NothingGiven_UsesTheEmbeddedDefault()
    {
        var (json, description, origin) = ConfigLoader.Locate(null, null);

        Assert.Equal(ConfigOrigin.Embedded, origin);
        Assert.Equal("(embedded default)", description);
        Assert.Equal(ConfigLoader.ReadEmbeddedDefault(), json);
    }

    [Fact]
    public void Locate_SettingHoldingJson_UsesTheSettingText()
    {
        var (json, description, origin) = ConfigLoader.Locate(null, "  " + ConfigFixtures.Minimal);

        Assert.Equal(ConfigOrigin.Setting, origin);
        Assert.Equal("from the GATEWAY_CONFIG setting", description);
        Assert.Single(ConfigFixtures.Load(json).Endpoints);
    }

    [Fact]
    public void Locate_CommandLinePath_WinsOverTheSetting()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, ConfigFixtures.Minimal);

            var (json, description, origin) = ConfigLoader.Locate(path, """{ "version": 1 }""");

            Assert.Equal(ConfigOrigin.CommandLine, origin);
            Assert.Equal(path, description);
            Assert.Equal(ConfigFixtures.Minimal, json);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Locate_SettingHoldingAPath_ReadsThatFile()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, ConfigFixtures.Minimal);

            var (json, description, origin) = ConfigLoader.Locate(null, path);

            Assert.Equal(ConfigOrigin.Setting, origin);
            Assert.Equal(path, description);
            Assert.Equal(ConfigFixtures.Minimal, json);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Locate_MissingFile_ThrowsConfigExceptionNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "missing-" + Guid.NewGuid().ToString("N") + ".json");

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Locate(path, null));

        Assert.Equal(path, e.Source);
        var problem = Assert.Single(e.Problems);
        Assert.StartsWith("cannot read the file: ", problem.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }
}
