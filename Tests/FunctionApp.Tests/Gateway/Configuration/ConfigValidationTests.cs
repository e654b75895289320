namespace FunctionApp.Gateway.Configuration.Tests;

/// <summary>Invalid configurations: each problem is reported with its JSON path, and all of them at once.</summary>
public sealed class ConfigValidationTests
{
    [Fact]
    public void Load_VersionMissing_ReportsVersionRequired()
    {
        var problem = ConfigFixtures.SingleProblem("""{ "endpoints": [] }""");

        Assert.Equal("version: is required and must be 3", problem);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Load_VersionNot3_ReportsUnsupportedVersion(int version)
    {
        var problem = ConfigFixtures.SingleProblem($$"""{ "version": {{version}}, "endpoints": [] }""");

        Assert.Equal($"version: unsupported version: {version} (want: 3)", problem);
    }

    [Fact]
    public void Load_EndpointKeyMissing_ReportsEndpointRequired()
    {
        var json = ConfigFixtures.WithEndpoints("""{ "backend": [ { "url_pattern": "/b" } ] }""");

        Assert.Equal("endpoints[0].endpoint: is required", ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_EndpointKeyEmpty_ReportsEndpointRequired()
    {
        var json = ConfigFixtures.WithEndpoints(ConfigFixtures.Endpoint("/ok"), """{ "endpoint": "", "backend": [ { "url_pattern": "/b" } ] }""");

        Assert.Equal("endpoints[1].endpoint: is required", ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_EndpointNull_ReportsMustBeAnObject()
    {
        var json = ConfigFixtures.WithEndpoints("null");

        Assert.Equal("endpoints[0]: must be an object", ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_EndpointWithoutLeadingSlash_ReportsIt()
    {
        var json = ConfigFixtures.WithEndpoints(ConfigFixtures.Endpoint("users"));

        Assert.Equal("endpoints[0].endpoint: \"users\" must start with /", ConfigFixtures.SingleProblem(json));
    }

    [Theory]
    [InlineData("""{ "endpoint": "/a" }""")]
    [InlineData("""{ "endpoint": "/a", "backend": [] }""")]
    [InlineData("""{ "endpoint": "/a", "backend": null }""")]
    public void Load_BackendMissingOrEmpty_ReportsBackendRequired(string endpoint)
    {
        var json = ConfigFixtures.WithEndpoints(endpoint);

        Assert.Equal("endpoints[0].backend: at least one backend is required", ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_BackendNull_ReportsMustBeAnObject()
    {
        var json = ConfigFixtures.WithEndpoints("""{ "endpoint": "/a", "backend": [ null ] }""");

        Assert.Equal("endpoints[0].backend[0]: must be an object", ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_UrlPatternMissing_ReportsUrlPatternRequired()
    {
        var json = ConfigFixtures.WithEndpoints("""{ "endpoint": "/a", "backend": [ { "host": ["h.test"] } ] }""");

        Assert.Equal("endpoints[0].backend[0].url_pattern: is required", ConfigFixtures.SingleProblem(json));
    }

    [Theory]
    [InlineData("HEAD")]
    [InlineData("OPTIONS")]
    [InlineData("TRACE")]
    [InlineData("CONNECT")]
    [InlineData("FETCH")]
    [InlineData("head")]
    public void Load_MethodOutsideTheFiveSupported_ReportsIt(string method)
    {
        var json = ConfigFixtures.WithEndpoints(ConfigFixtures.Endpoint("/a", method: method));

        Assert.Equal(
            $"endpoints[0].method: \"{method}\" is not supported (use GET, POST, PUT, PATCH or DELETE)",
            ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_BackendMethodUnknown_ReportsIt()
    {
        var json = ConfigFixtures.WithEndpoints("""{ "endpoint": "/a", "backend": [ { "url_pattern": "/b", "method": "BREW" } ] }""");

        Assert.Equal("endpoints[0].backend[0].method: \"BREW\" is not a supported HTTP method", ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_DuplicateEndpointAndMethod_ReportsTheSecondWithTheFirstIndex()
    {
        var json = ConfigFixtures.WithEndpoints(
            ConfigFixtures.Endpoint("/users"),
            ConfigFixtures.Endpoint("/other"),
            ConfigFixtures.Endpoint("/users", method: "get"));

        Assert.Equal(
            "endpoints[2]: duplicate endpoint GET /users (already defined at endpoints[0])",
            ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_DuplicateWithDefaultMethod_IsDetected()
    {
        var json = ConfigFixtures.WithEndpoints(
            """{ "endpoint": "/users", "backend": [ { "url_pattern": "/b" } ] }""",
            ConfigFixtures.Endpoint("/users", method: "GET"));

        Assert.Equal(
            "endpoints[1]: duplicate endpoint GET /users (already defined at endpoints[0])",
            ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_SameRouteWithDifferentParameterNames_IsADuplicate()
    {
        // Both would match the same requests (KrakenD's router refuses them as conflicting wildcards).
        var json = ConfigFixtures.WithEndpoints(
            ConfigFixtures.Endpoint("/users/{id}", "/u/{id}"),
            ConfigFixtures.Endpoint("/users/{name}", "/u/{name}"));

        Assert.Equal(
            "endpoints[1]: duplicate endpoint GET /users/{name} (already defined at endpoints[0])",
            ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_TrailingSlashVariant_IsNotADuplicate()
    {
        var json = ConfigFixtures.WithEndpoints(ConfigFixtures.Endpoint("/users"), ConfigFixtures.Endpoint("/users/"));

        Assert.Equal(2, ConfigFixtures.Load(json).Endpoints.Count);
    }

    [Theory]
    [InlineData("/__health", "/__health")]
    [InlineData("/__health/", "/__health")]
    [InlineData("/__health/deep", "/__health")]
    [InlineData("/__debug", "/__debug")]
    [InlineData("/__debug/ping", "/__debug")]
    [InlineData("/__echo", "/__echo")]
    [InlineData("/__echo/a/b", "/__echo")]
    [InlineData("/api/__debug", "/__debug")]
    [InlineData("/api/__echo/x", "/__echo")]
    public void Load_ReservedPath_ReportsIt(string path, string reserved)
    {
        var json = ConfigFixtures.WithEndpoints(ConfigFixtures.Endpoint(path));

        Assert.Equal($"endpoints[0].endpoint: \"{path}\" uses the reserved path {reserved}", ConfigFixtures.SingleProblem(json));
    }

    [Theory]
    [InlineData("/__healthz")]
    [InlineData("/health")]
    [InlineData("/api/__debugger")]
    [InlineData("/_debug")]
    [InlineData("/__other")]
    public void Load_PathMerelyResemblingAReservedOne_IsAllowed(string path)
    {
        var json = ConfigFixtures.WithEndpoints(ConfigFixtures.Endpoint(path));

        Assert.Single(ConfigFixtures.Load(json).Endpoints);
    }

    [Fact]
    public void Load_EndpointOnCustomHealthPath_ReportsTheCollision()
    {
        var json = """
            {
              "version": 3, "host": ["h.test"],
              "extra_config": { "router": { "health_path": "/status" } },
              "endpoints": [ { "endpoint": "/status", "backend": [ { "url_pattern": "/b" } ] } ]
            }
            """;

        Assert.Equal(
            "endpoints[0].endpoint: \"/status\" collides with the health endpoint (router.health_path)",
            ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_EndpointOnCustomHealthPathWithHealthDisabled_IsAllowed()
    {
        var json = """
            {
              "version": 3, "host": ["h.test"],
              "extra_config": { "router": { "health_path": "/status", "disable_health": true } },
              "endpoints": [ { "endpoint": "/status", "backend": [ { "url_pattern": "/b" } ] } ]
            }
            """;

        Assert.Single(ConfigFixtures.Load(json).Endpoints);
    }

    [Theory]
    [InlineData("\"status\"", "must be a path starting with /")]
    [InlineData("\"\"", "must be a path starting with /")]
    [InlineData("5", "must be a path starting with /")]
    public void Load_BadHealthPath_ReportsIt(string value, string message)
    {
        var json = $$"""{ "version": 3, "extra_config": { "router": { "health_path": {{value}} } }, "endpoints": [] }""";

        Assert.Equal("extra_config.router.health_path: " + message, ConfigFixtures.SingleProblem(json));
    }

    [Theory]
    [InlineData("router")]
    [InlineData("github_com/luraproject/lura/router/gin")]
    public void Load_RouterBoolOptionNotABool_ReportsItWithTheSpellingUsed(string name)
    {
        var json = $$"""{ "version": 3, "extra_config": { "{{name}}": { "return_error_msg": "yes" } }, "endpoints": [] }""";

        Assert.Equal($"extra_config.{name}.return_error_msg: must be true or false", ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_RouterNotAnObject_ReportsIt()
    {
        var json = """{ "version": 3, "extra_config": { "router": [] }, "endpoints": [] }""";

        Assert.Equal("extra_config.router: must be an object", ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_NoOpOutputWithTwoBackends_ReportsIt()
    {
        var json = ConfigFixtures.WithEndpoints("""
            { "endpoint": "/a", "output_encoding": "no-op", "backend": [ { "url_pattern": "/b" }, { "url_pattern": "/c" } ] }
            """);

        Assert.Equal(
            "endpoints[0].backend: the no-op output encoding takes exactly one backend, not 2",
            ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_UrlPatternPlaceholderNotAnEndpointParameter_ReportsIt()
    {
        var json = ConfigFixtures.WithEndpoints(
            ConfigFixtures.Endpoint("/ok/{id}", "/x/{id}"),
            ConfigFixtures.Endpoint("/users/{user}", "/v1/users/{id}"));

        Assert.Equal(
            "endpoints[1].backend[0].url_pattern: {id} is not a parameter of /users/{user}",
            ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_UrlPatternWithSeveralUndefinedPlaceholders_ReportsEach()
    {
        var json = ConfigFixtures.WithEndpoints(ConfigFixtures.Endpoint("/a", "/x/{one}?q={two}"));

        Assert.Equal(
            [
                "endpoints[0].backend[0].url_pattern: {one} is not a parameter of /a",
                "endpoints[0].backend[0].url_pattern: {two} is not a parameter of /a",
            ],
            ConfigFixtures.Problems(json));
    }

    [Fact]
    public void Load_UrlPatternWithoutLeadingSlash_ReportsIt()
    {
        var json = ConfigFixtures.WithEndpoints(ConfigFixtures.Endpoint("/a", "users"));

        Assert.Equal("endpoints[0].backend[0].url_pattern: \"users\" must start with /", ConfigFixtures.SingleProblem(json));
    }

    [Theory]
    [InlineData("2 seconds", "unknown unit \" seconds\" in duration \"2 seconds\" (use ns, us, ms, s, m or h)")]
    [InlineData("5", "missing unit in duration \"5\" (use ns, us, ms, s, m or h)")]
    [InlineData("1x", "unknown unit \"x\" in duration \"1x\" (use ns, us, ms, s, m or h)")]
    [InlineData("-1s", "\"-1s\" must be greater than zero")]
    [InlineData("", "empty duration")]
    [InlineData("s", "invalid duration \"s\"")]
    public void Load_BadServiceTimeout_ReportsIt(string value, string message)
    {
        var json = $$"""{ "version": 3, "timeout": "{{value}}", "endpoints": [] }""";

        Assert.Equal("timeout: " + message, ConfigFixtures.SingleProblem(json));
    }

    [Theory]
    [InlineData("timeout", "1x", "unknown unit \"x\" in duration \"1x\" (use ns, us, ms, s, m or h)")]
    [InlineData("timeout", "-5ms", "\"-5ms\" must be greater than zero")]
    [InlineData("cache_ttl", "5", "missing unit in duration \"5\" (use ns, us, ms, s, m or h)")]
    [InlineData("cache_ttl", "-1s", "\"-1s\" must be zero or more")]
    public void Load_BadEndpointDuration_ReportsItWithThePath(string key, string value, string message)
    {
        var json = ConfigFixtures.WithEndpoints($$"""{ "endpoint": "/a", "{{key}}": "{{value}}", "backend": [ { "url_pattern": "/b" } ] }""");

        Assert.Equal($"endpoints[0].{key}: {message}", ConfigFixtures.SingleProblem(json));
    }

    [Theory]
    [InlineData("cache_ttl")]
    [InlineData("read_timeout")]
    [InlineData("write_timeout")]
    [InlineData("idle_timeout")]
    [InlineData("read_header_timeout")]
    [InlineData("max_shutdown_wait_time")]
    [InlineData("dialer_timeout")]
    [InlineData("dialer_keep_alive")]
    [InlineData("dialer_fallback_delay")]
    [InlineData("idle_connection_timeout")]
    [InlineData("response_header_timeout")]
    [InlineData("expect_continue_timeout")]
    public void Load_BadServiceDuration_ReportsItWithTheKey(string key)
    {
        var json = $$"""{ "version": 3, "{{key}}": "10 s", "endpoints": [] }""";

        Assert.Equal(
            $"{key}: unknown unit \" s\" in duration \"10 s\" (use ns, us, ms, s, m or h)",
            ConfigFixtures.SingleProblem(json));
    }

    [Theory]
    [InlineData("http://example.com/api", "\"http://example.com/api\" is not a valid host: expected [http[s]://]name-or-ip[:port] with no path")]
    [InlineData("example.com/api/", "\"example.com/api/\" is not a valid host: expected [http[s]://]name-or-ip[:port] with no path")]
    [InlineData("ftp://example.com", "\"ftp://example.com\" is not a valid host: expected [http[s]://]name-or-ip[:port] with no path")]
    [InlineData("ws://example.com", "\"ws://example.com\" is not a valid host: expected [http[s]://]name-or-ip[:port] with no path")]
    [InlineData("example.com:abc", "\"example.com:abc\" is not a valid host: expected [http[s]://]name-or-ip[:port] with no path")]
    [InlineData("example.com:123456", "\"example.com:123456\" is not a valid host: expected [http[s]://]name-or-ip[:port] with no path")]
    [InlineData("example.com:99999", "\"example.com:99999\" has an invalid port")]
    [InlineData("example.com:00", "\"example.com:00\" has an invalid port")]
    [InlineData("http://exa mple.com", "\"http://exa mple.com\" is not a valid host: expected [http[s]://]name-or-ip[:port] with no path")]
    public void Load_BadBackendHost_ReportsItWithItsIndex(string host, string message)
    {
        var json = ConfigFixtures.WithEndpoints($$"""{ "endpoint": "/a", "backend": [ { "host": ["ok.test", "{{host}}"], "url_pattern": "/b" } ] }""");

        Assert.Equal($"endpoints[0].backend[0].host[1]: {message}", ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_BadServiceHost_ReportsItAtTheServiceLevel()
    {
        var json = """
            {
              "version": 3, "host": ["ok.test", "http://bad.test/path"],
              "endpoints": [ { "endpoint": "/a", "backend": [ { "url_pattern": "/b" } ] } ]
            }
            """;

        Assert.Equal(
            "host[1]: \"http://bad.test/path\" is not a valid host: expected [http[s]://]name-or-ip[:port] with no path",
            ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_NoHostAnywhere_ReportsItOnTheBackend()
    {
        var json = """{ "version": 3, "endpoints": [ { "endpoint": "/a", "backend": [ { "url_pattern": "/b" } ] } ] }""";

        Assert.Equal(
            "endpoints[0].backend[0].host: no host: set the backend's host or the service-level host list",
            ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_VerbatimHostThatIsNotAnHttpUrl_ReportsIt()
    {
        var json = ConfigFixtures.WithEndpoints("""
            { "endpoint": "/a", "backend": [ { "host": ["ftp://files.test"], "disable_host_sanitize": true, "url_pattern": "/b" } ] }
            """);

        Assert.Equal(
            "endpoints[0].backend[0].host[0]: \"ftp://files.test\" is not an absolute http:// or https:// URL",
            ConfigFixtures.SingleProblem(json));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    public void Load_PortOutOfRange_ReportsIt(int port)
    {
        var json = $$"""{ "version": 3, "port": {{port}}, "endpoints": [] }""";

        Assert.Equal($"port: {port} is not a valid port (0-65535)", ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_ListenIpNotAnIp_ReportsIt()
    {
        var json = """{ "version": 3, "listen_ip": "localhost", "endpoints": [] }""";

        Assert.Equal("listen_ip: \"localhost\" is not an IP address", ConfigFixtures.SingleProblem(json));
    }

    [Theory]
    [InlineData("protobuf")]
    [InlineData("JSON")]
    public void Load_UnknownOutputEncoding_ReportsIt(string encoding)
    {
        var json = ConfigFixtures.WithEndpoints($$"""{ "endpoint": "/a", "output_encoding": "{{encoding}}", "backend": [ { "url_pattern": "/b" } ] }""");

        Assert.Equal($"endpoints[0].output_encoding: unknown output encoding \"{encoding}\" (json, json-collection, string, negotiate, yaml, xml, no-op)", ConfigFixtures.SingleProblem(json));
    }

    [Theory]
    [InlineData("json-collection")]
    [InlineData("string")]
    [InlineData("negotiate")]
    [InlineData("yaml")]
    [InlineData("xml")]
    [InlineData("fast-json")]
    public void Load_EveryCoreOutputEncoding_IsAccepted(string encoding)
    {
        var json = ConfigFixtures.WithEndpoints($$"""{ "endpoint": "/a", "output_encoding": "{{encoding}}", "backend": [ { "url_pattern": "/b" } ] }""");

        Assert.Equal(encoding, ConfigFixtures.Load(json).Endpoints[0].OutputEncoding);
    }

    [Theory]
    [InlineData("xml", "\"xml\" needs a KrakenD plugin and is not supported (json, safejson, string, no-op)")]
    [InlineData("yaml", "unknown encoding \"yaml\" (json, safejson, string, no-op)")]
    public void Load_UnsupportedBackendEncoding_ReportsIt(string encoding, string message)
    {
        var json = ConfigFixtures.WithEndpoints($$"""{ "endpoint": "/a", "backend": [ { "url_pattern": "/b", "encoding": "{{encoding}}" } ] }""");

        Assert.Equal("endpoints[0].backend[0].encoding: " + message, ConfigFixtures.SingleProblem(json));
    }

    [Fact]
    public void Load_CoreFeatures_AreAcceptedAndCompiled()
    {
        var json = ConfigFixtures.WithEndpoints("""
            {
              "endpoint": "/a/{id}",
              "concurrent_calls": 3,
              "extra_config": { "proxy": { "sequential": true, "static": { "strategy": "errored", "data": { "s": 1 } }, "flatmap_filter": [ { "type": "del", "args": ["x"] } ] } },
              "backend": [
                {
                  "url_pattern": "/b/{id}", "is_collection": true, "group": "g", "target": "data",
                  "allow": ["a"], "deny": ["b"], "mapping": { "a": "b" },
                  "input_headers": ["X"], "input_query_strings": ["q"],
                  "extra_config": { "backend/http": { "return_error_code": true }, "qos/circuit-breaker": { "interval": 60, "timeout": 10, "max_errors": 3 } }
                },
                { "url_pattern": "/c/{resp0_user.id}", "encoding": "safejson", "extra_config": { "backend/http": { "return_error_details": "c" } } }
              ]
            }
            """);

        var endpoint = ConfigFixtures.Load(json).Endpoints[0];

        Assert.Equal(3, endpoint.ConcurrentCalls);
        Assert.True(endpoint.Sequential);
        Assert.Equal(StaticStrategy.Errored, endpoint.Static!.Strategy);
        Assert.NotNull(endpoint.Flatmap);
        var first = endpoint.Backends[0];
        Assert.True(first.IsCollection);
        Assert.NotNull(first.Formatter);
        Assert.True(first.InputHeaders!.Allows("x"));
        Assert.True(first.InputQueryStrings!.Allows("q"));
        Assert.True(first.Errors.ReturnErrorCode);
        Assert.Equal(new CircuitBreakerOptions(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(10), 3, false, null), first.CircuitBreaker);
        Assert.Equal("c", endpoint.Backends[1].Errors.ReturnErrorDetails);
        Assert.Equal("resp0_user.id", Assert.Single(endpoint.Backends[1].UrlPattern.SequentialReferences).Placeholder);
    }

    [Fact]
    public void Load_BadCoreFeatureOptions_AreErrorsWithTheirPaths()
    {
        var json = ConfigFixtures.WithEndpoints("""
            {
              "endpoint": "/a",
              "extra_config": { "proxy": { "static": { "strategy": "sometimes" }, "flatmap_filter": [ { "type": "move", "args": ["a"] } ] } },
              "backend": [
                {
                  "url_pattern": "/b/{resp0_id}", "sd": "dns",
                  "extra_config": { "backend/http": { "return_error_details": "" }, "qos/circuit-breaker": { "interval": 0, "max_errors": 3 } }
                },
                { "url_pattern": "/c" }
              ]
            }
            """);

        Assert.Equal(
            [
                "endpoints[0].extra_config.proxy.static.strategy: must be one of always, success, errored, complete, incomplete",
                "endpoints[0].extra_config.proxy.static.data: is required",
                "endpoints[0].extra_config.proxy.flatmap_filter[0].args: move takes 2 arguments",
                "endpoints[0].backend[0].sd: service discovery \"dns\" is not supported (only static)",
                "endpoints[0].backend[0].extra_config.backend/http.return_error_details: must be a non-empty name (the response gets the key error_<name>)",
                "endpoints[0].backend[0].extra_config.qos/circuit-breaker.interval: must be a whole number greater than zero",
                "endpoints[0].backend[0].extra_config.qos/circuit-breaker.interval: is required (a whole number greater than zero)",
                "endpoints[0].backend[0].extra_config.qos/circuit-breaker.timeout: is required (a whole number greater than zero)",
                "endpoints[0].backend[0].url_pattern: {resp0_id} refers to an earlier backend's response, which needs proxy.sequential: true",
            ],
            ConfigFixtures.Problems(json));
    }

    [Fact]
    public void Load_ServerFeaturesThatCannotWork_AreErrors()
    {
        var json = """
            {
              "version": 3, "tls": { "public_key": "a", "private_key": "b" },
              "allow_insecure_connections": true, "plugin": { "folder": "./p" }, "async_agent": [],
              "endpoints": []
            }
            """;

        Assert.Equal(
            [
                "tls: TLS termination is not supported: in Azure Functions the platform terminates TLS; run behind a TLS proxy when standalone",
                "allow_insecure_connections: is not supported: backend certificates are always validated",
                "plugin: Go plugins are not supported",
                "async_agent: async agents are not supported",
            ],
            ConfigFixtures.Problems(json));
    }

    [Fact]
    public void Load_IgnorableServerFeatures_AreWarnings()
    {
        var json = """{ "version": 3, "client_tls": {}, "use_h2c": true, "disable_rest": true, "endpoints": [] }""";

        var model = ConfigFixtures.Load(json);

        Assert.Equal(["client_tls", "use_h2c", "disable_rest"], model.Unsupported.Select(p => p.Path));
    }

    [Fact]
    public void Load_SeveralProblems_ReportsAllOfThemInOrder()
    {
        var json = """
            {
              "version": 2,
              "timeout": "2 seconds",
              "host": ["h.test"],
              "endpoints": [
                { "endpoint": "/a", "method": "HEAD", "backend": [ { "url_pattern": "/b" } ] },
                { "endpoint": "/__debug/x", "backend": [] },
                { "endpoint": "/users/{user}", "timeout": "5", "backend": [ { "url_pattern": "/v1/users/{id}", "host": ["http://h.test/p"] } ] },
                { "endpoint": "/ok", "backend": [ { "url_pattern": "/b" } ] },
                { "endpoint": "/ok", "backend": [ { "url_pattern": "/b" } ] }
              ]
            }
            """;

        Assert.Equal(
            [
                "version: unsupported version: 2 (want: 3)",
                "timeout: unknown unit \" seconds\" in duration \"2 seconds\" (use ns, us, ms, s, m or h)",
                "endpoints[0].method: \"HEAD\" is not supported (use GET, POST, PUT, PATCH or DELETE)",
                "endpoints[1].endpoint: \"/__debug/x\" uses the reserved path /__debug",
                "endpoints[1].backend: at least one backend is required",
                "endpoints[2].timeout: missing unit in duration \"5\" (use ns, us, ms, s, m or h)",
                "endpoints[2].backend[0].host[0]: \"http://h.test/p\" is not a valid host: expected [http[s]://]name-or-ip[:port] with no path",
                "endpoints[2].backend[0].url_pattern: {id} is not a parameter of /users/{user}",
                "endpoints[4]: duplicate endpoint GET /ok (already defined at endpoints[3])",
            ],
            ConfigFixtures.Problems(json));
    }

    [Fact]
    public void ConfigException_Message_ListsTheSourceAndEveryProblem()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load("""{ "version": 2, "port": -1 }""", "my.json"));

        Assert.Equal("my.json", e.Source);
        Assert.Equal(
            string.Join(
                Environment.NewLine,
                "invalid configuration my.json:",
                "  version: unsupported version: 2 (want: 3)",
                "  port: -1 is not a valid port (0-65535)"),
            e.Message);
    }

    [Fact]
    public void ConfigProblem_WithoutPath_PrintsOnlyTheMessage()
    {
        Assert.Equal("boom", new ConfigProblem(string.Empty, "boom").ToString());
        Assert.Equal("a.b: boom", new ConfigProblem("a.b", "boom").ToString());
    }
}
