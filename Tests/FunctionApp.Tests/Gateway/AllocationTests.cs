using System.Buffers;
using System.Text;
using FunctionApp.Gateway.Encoding;
using FunctionApp.Gateway.Proxy;
using FunctionApp.Gateway.Routing;
using TextEncoding = System.Text.Encoding;

namespace FunctionApp.Gateway.Tests;

/// <summary>
/// The allocation-aware hot path (bench/Allocations measures it): the parts that must allocate nothing per request
/// once warm, and the proof that the shortcut which renders a backend's JSON object straight from its parsed form
/// (<see cref="ParsedJsonObject"/>) writes exactly the bytes of the eager decode-then-render path it replaces.
/// </summary>
public sealed class AllocationTests
{
    /// <summary>Bodies the shortcut must render byte for byte as the eager path does (or leave to it).</summary>
    public static TheoryData<string> Bodies() =>
    [
        """{"id":42,"name":"benchmark item","description":"a small fixed JSON object served by the bench backend","tags":["alpha","beta","gamma"],"price":12.5,"available":true,"owner":{"id":7,"login":"bench"}}""",
        """{}""",
        """  {"b":1,"a":2}  trailing text is ignored, as by Go's decoder""",
        """{"a":1,"b":2,"a":3}""",
        """{"x":{"k":1,"k":{"z":1,"y":2},"j":[{"b":1,"a":[]}]},"x":{"only":"last"}}""",
        """{"n":[1.0,1e3,1E+3,-0,0.1000,12345678901234567890,123456789012345678901234567890.123456789]}""",
        """{"s":"<a href='x'>&</a>","t":"h\u00e9llo \ud83d\ude00 日本","u":"a\u2028b\u2029c","v":"\n\r\t\b\f\u0001\u001f","w":"q\"b\\s\/","x":"\u007f"}""",
        """{"lone":"\ud800","pair":"\ud83d\ude00","low":"\udc00x"}""",
        """{"<k>&":1,"é":2,"e":3,"😀":4,"\uE000":5,"ﬀ":6,"Z":7,"a":8,"":9}""",
        "{\"\u2028\":1,\"😀\":2,\"\uffff\":3,\"\ue000\":4,\"\ud7ff\":5}",
        """{"esc\u0061ped":1,"escaped":2}""",
        """{"a":null,"b":[null,true,false,{}],"c":{"d":[[],[[]],{"e":null}]}}""",
        """[1,2,3]""",
        """null""",
        """"text"""",
        """{"unterminated":""",
        """{"a":1}}""",
        """{"deep":""" + string.Concat(Enumerable.Repeat("[", 70)) + string.Concat(Enumerable.Repeat("]", 70)) + "}",
    ];

    [Theory]
    [MemberData(nameof(Bodies))]
    public void ParsedObject_RendersTheBytesOfTheEagerPath(string body) => _ = AssertSameRendering(TextEncoding.UTF8.GetBytes(body));

    [Fact]
    public void ParsedObject_InvalidUtf8Names_AreLeftToTheEagerPath()
    {
        byte[] body = [.. "{\""u8, 0xFF, .. "\":1}"u8];
        Assert.Null(ParsedJsonObject.TryParse(body));
    }

    [Fact]
    public void ParsedObject_RandomObjects_RenderTheBytesOfTheEagerPath()
    {
        var random = new Random(20261124);
        var parsed = 0;
        for (var i = 0; i < 400; i++)
        {
            var json = new StringBuilder();
            RandomValue(random, json, 0, forceObject: true);
            parsed += AssertSameRendering(TextEncoding.UTF8.GetBytes(json.ToString())) ? 1 : 0;
        }

        Assert.InRange(parsed, 200, 400);
    }

    [Fact]
    public void ParsedObjects_Merged_RenderAndCompleteAsTheEagerMerge()
    {
        var random = new Random(7);
        string[] fixedBodies =
        [
            """{"a":1,"shared":{"from":"first"},"b":[1]}""",
            """{"shared":{"from":"second"},"c":true,"a":2}""",
            """{}""",
            """{"z":null,"a":3,"a":4}""",
        ];
        var merges = 0;
        for (var i = 0; i < 200; i++)
        {
            var count = random.Next(1, 5);
            var bodies = new byte[count][];
            for (var b = 0; b < count; b++)
            {
                if (i < 20)
                {
                    bodies[b] = TextEncoding.UTF8.GetBytes(fixedBodies[(i + b) % fixedBodies.Length]);
                    continue;
                }

                var json = new StringBuilder();
                RandomValue(random, json, 0, forceObject: true);
                bodies[b] = TextEncoding.UTF8.GetBytes(json.ToString());
            }

            if (bodies.Any(body => ParsedJsonObject.TryParse(body) is not { } probe || Dispose(probe)))
            {
                continue; // an escaped name: such a body is never held as parsed JSON
            }

            var failed = random.Next(count + 1); // == count: none failed
            using var eager = MergeMiddleware.Merge([.. bodies.Select((body, b) => b == failed ? Failure() : ProxyResponse.FromData(ResponseDecoder.Decode("json", false, body).Data!, true))], CancellationToken.None);
            using var parsed = MergeMiddleware.Merge([.. bodies.Select((body, b) => b == failed ? Failure() : ProxyResponse.FromParsed(ParsedJsonObject.TryParse(body)!, true))], CancellationToken.None);

            Assert.Equal(eager.IsComplete, parsed.IsComplete);
            Assert.Equal(eager.Error?.Message, parsed.Error?.Message);
            Assert.Equal(eager.HasData, parsed.HasData);
            if (!eager.HasData)
            {
                continue;
            }

            Assert.NotNull(parsed.Parsed);
            merges++;
            Assert.Equal(eager.Data!.Count > 0, parsed.Parsed!.HasMembers);
            var fromParsed = Render(parsed.Parsed.WriteTo);
            Assert.Equal(Render(output => JsonRenderer.Write(output, eager.Data)), fromParsed);

            // Reading the data builds the same object the eager merge built.
            Assert.Equal(Render(output => JsonRenderer.Write(output, eager.Data)), Render(output => JsonRenderer.Write(output, parsed.Data)));
            Assert.Equal(eager.Data.Select(p => p.Key), parsed.Data!.Select(p => p.Key));
        }

        Assert.InRange(merges, 60, 200);

        static bool Dispose(ParsedJsonObject parsed)
        {
            parsed.Dispose();
            return false;
        }

        static ProxyResponse Failure() => ProxyResponse.Failed(new GatewayError(GatewayErrorKind.InvalidStatus, "invalid status code 500", 500));
    }

    [Fact]
    public void ParsedObject_Render_AllocatesNothingOnceWarm()
    {
        var body = """{"id":42,"name":"benchmark item","tags":["alpha","beta"],"price":12.5,"available":true,"owner":{"id":7,"login":"bench"}}"""u8.ToArray();
        using var parsed = ParsedJsonObject.TryParse(body)!;
        var output = new ArrayBufferWriter<byte>(4096);
        for (var i = 0; i < 50; i++)
        {
            output.ResetWrittenCount();
            parsed.WriteTo(output);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            output.ResetWrittenCount();
            parsed.WriteTo(output);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void JsonRenderer_Write_AllocatesNothingOnceWarm()
    {
        var data = ResponseDecoder.Decode("json", false, """{"b":[1,{"d":2,"c":3}],"a":"x"}"""u8).Data!;
        var output = new ArrayBufferWriter<byte>(4096);
        for (var i = 0; i < 50; i++)
        {
            output.ResetWrittenCount();
            JsonRenderer.Write(output, data);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            output.ResetWrittenCount();
            JsonRenderer.Write(output, data);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal("""{"a":"x","b":[1,{"c":3,"d":2}]}""", TextEncoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void RouteTable_MatchWithoutParameters_AllocatesNothing()
    {
        var table = new RouteTable<string>();
        table.Add(Template("/data"), "GET", "data");
        table.Add(Template("/users/{id}/orders"), "GET", "orders");
        table.Add(Template("/a/b/c"), "GET", "abc");
        for (var i = 0; i < 10; i++)
        {
            table.Match("GET", "/a/b/c");
        }

        var found = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            found += table.Match("GET", "/data").Kind == RouteMatchKind.Found ? 1 : 0;
            found += table.Match("GET", "/a/b/c").Kind == RouteMatchKind.Found ? 1 : 0;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(200, found);

        var orders = table.Match("GET", "/users/42/orders");
        Assert.Equal("orders", orders.Handler);
        Assert.Equal("42", orders.Parameters!["id"]);
        Assert.Equal(RouteMatchKind.NotFound, table.Match("GET", "/users//orders").Kind);
        Assert.Equal(RouteMatchKind.NotFound, table.Match("GET", "/data/").Kind);
    }

    [Fact]
    public void PooledBufferWriter_RendersIntoRentedArrays()
    {
        var writer = PooledBufferWriter.Rent(16);
        var chunk = new byte[100];
        chunk.AsSpan().Fill((byte)'x');
        for (var i = 0; i < 50; i++)
        {
            chunk.CopyTo(writer.GetSpan(chunk.Length));
            writer.Advance(chunk.Length);
        }

        using var rendered = writer.Detach();
        Assert.Equal(5000, rendered.Length);
        Assert.True(rendered.Memory.Span.IndexOfAnyExcept((byte)'x') < 0);
    }

    [Fact]
    public void TraceContextInjection_WritesTheSdksHeaders()
    {
        var fast = global::Telemetry.Tracing.PropagatorFactory.Create(["tracecontext"]);
        var sdk = new OpenTelemetry.Context.Propagation.TraceContextPropagator();
        var random = new Random(3);
        var traceId = new byte[16];
        var spanId = new byte[8];
        for (var i = 0; i < 200; i++)
        {
            random.NextBytes(traceId);
            random.NextBytes(spanId);
            var flags = (System.Diagnostics.ActivityTraceFlags)(i < 100 ? random.Next(4) : random.Next(256));
            var state = (i % 3) switch { 0 => null, 1 => "", _ => "vendor=value,other=x" };
            var context = new OpenTelemetry.Context.Propagation.PropagationContext(
                new System.Diagnostics.ActivityContext(System.Diagnostics.ActivityTraceId.CreateFromBytes(traceId), System.Diagnostics.ActivitySpanId.CreateFromBytes(spanId), flags, state),
                default);
            var expected = new Dictionary<string, string>();
            var actual = new Dictionary<string, string>();
            sdk.Inject(context, expected, static (carrier, name, value) => carrier[name] = value);
            fast.Inject(context, actual, static (carrier, name, value) => carrier[name] = value);
            Assert.Equal(string.Join(" | ", expected.OrderBy(p => p.Key)), string.Join(" | ", actual.OrderBy(p => p.Key)));
        }

        var none = new Dictionary<string, string>();
        fast.Inject(default, none, static (carrier, name, value) => carrier[name] = value);
        Assert.Empty(none);
    }

    private static EndpointTemplate Template(string path) => EndpointTemplate.TryParse(path, []) ?? throw new InvalidOperationException(path);

    /// <summary>False when the body is left to the eager path (which then answers as it always did).</summary>
    private static bool AssertSameRendering(byte[] body)
    {
        var eager = ResponseDecoder.Decode("json", false, body);
        using var parsed = ParsedJsonObject.TryParse(body);
        if (parsed is null)
        {
            return false;
        }

        Assert.True(eager.IsSuccess, eager.Error);
        Assert.Equal(eager.Data!.Count > 0, parsed.HasMembers);
        var expected = Render(output => JsonRenderer.Write(output, eager.Data));
        Assert.Equal(expected, Render(parsed.WriteTo));
        return true;
    }

    /// <summary>The bytes written, or the exception thrown (a failure must be the same failure on both paths).</summary>
    private static string Render(Action<IBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        try
        {
            write(output);
        }
        catch (InvalidOperationException e)
        {
            return $"{e.GetType()}: {e.Message}";
        }
        catch (ArgumentException e)
        {
            return $"{e.GetType()}: {e.Message}";
        }

        return Convert.ToHexString(output.WrittenSpan) + " " + TextEncoding.UTF8.GetString(output.WrittenSpan);
    }

    // Raw JSON text: names and strings as they appear between the quotes (one name escaped, which the shortcut leaves
    // to the eager path).
    private static readonly string[] Names = ["a", "b", "A", "é", "e", "😀", "\uE000", "\uFFFF", "\uD7FF", "ﬀ", "<&>", "", "a\u2028", "k", "kk", "日本", "\u007f", "z", "a", "b", "c", @"\u0061"];

    private static readonly string[] Strings =
    [
        "plain", "", "<tag>&amp;", @"line\nbreak", @"tab\tq\""uote\\", @"\u00e9", "😀", @"\ud83d\ude00", @"\ud800", @"\udc00", "\u2028\u2029",
        @"\u0000", "日本語", "\u007f\u0080", @"\/",
    ];

    private static readonly string[] Numbers = ["0", "-0", "1.0", "1e3", "1E+3", "-12.5e-7", "12345678901234567890", "0.1000"];

    private static void RandomValue(Random random, StringBuilder json, int depth, bool forceObject = false)
    {
        var kind = forceObject ? 0 : random.Next(depth > 4 ? 2 : 0, 8);
        switch (kind)
        {
            case 0:
            case 1 when depth > 4:
                json.Append('{');
                var members = random.Next(0, 7);
                for (var i = 0; i < members; i++)
                {
                    if (i > 0)
                    {
                        json.Append(',');
                    }

                    json.Append('"').Append(Names[random.Next(Names.Length)]).Append("\":");
                    RandomValue(random, json, depth + 1);
                }

                json.Append('}');
                break;
            case 1:
                json.Append('[');
                var items = random.Next(0, 4);
                for (var i = 0; i < items; i++)
                {
                    if (i > 0)
                    {
                        json.Append(", ");
                    }

                    RandomValue(random, json, depth + 1);
                }

                json.Append(']');
                break;
            case 2:
            case 3:
                json.Append('"').Append(Strings[random.Next(Strings.Length)]).Append('"');
                break;
            case 4:
            case 5:
                json.Append(Numbers[random.Next(Numbers.Length)]);
                break;
            case 6:
                json.Append(random.Next(2) == 0 ? "true" : "false");
                break;
            default:
                json.Append("null");
                break;
        }

        if (random.Next(10) == 0)
        {
            json.Append(' ');
        }
    }
}
