using System.Buffers;
using System.Text.Json.Nodes;
using TextEncoding = System.Text.Encoding;

namespace FunctionApp.Gateway.Encoding.Tests;

/// <summary>
/// KrakenD's backend decoders: json (objects only, or arrays under <c>collection</c>), safejson (anything),
/// string (the raw body under <c>content</c>), the fallback to json, and the body size cap.
/// </summary>
public sealed class ResponseDecoderTests
{
    private static async Task<DecodeResult> DecodeAsync(string encoding, string body, bool isCollection = false)
    {
        using var stream = new MemoryStream(TextEncoding.UTF8.GetBytes(body));
        return await ResponseDecoder.DecodeAsync(encoding, isCollection, stream, CancellationToken.None);
    }

    private static string Json(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        JsonRenderer.Write(buffer, node);
        return TextEncoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static async Task<string> DecodeToJsonAsync(string encoding, string body, bool isCollection = false)
    {
        var result = await DecodeAsync(encoding, body, isCollection);
        Assert.Null(result.Error);
        Assert.True(result.IsSuccess);
        return Json(result.Data);
    }

    [Fact]
    public async Task Json_Object_BecomesTheData() =>
        Assert.Equal(
            """{"a":{"c":[1,"x",null,true]},"b":1}""",
            await DecodeToJsonAsync("json", """ {"b":1,"a":{"c":[1,"x",null,true]}} """));

    [Theory]
    [InlineData("[1,2]", "json: cannot unmarshal array into Go value of type map[string]interface {}")]
    [InlineData("\"text\"", "json: cannot unmarshal string into Go value of type map[string]interface {}")]
    [InlineData("42", "json: cannot unmarshal number into Go value of type map[string]interface {}")]
    [InlineData("true", "json: cannot unmarshal bool into Go value of type map[string]interface {}")]
    [InlineData("", "EOF")]
    [InlineData(" \r\n\t", "EOF")]
    public async Task Json_NotAnObject_IsAnError(string body, string error)
    {
        var result = await DecodeAsync("json", body);

        Assert.False(result.IsSuccess);
        Assert.Null(result.Data);
        Assert.Equal(error, result.Error);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"a\":}")]
    [InlineData("nope")]
    [InlineData("\uFEFF{}")]
    public async Task Json_InvalidJson_IsAnError(string body)
    {
        var result = await DecodeAsync("json", body);

        Assert.NotNull(result.Error);
        Assert.Null(result.Data);
    }

    [Fact]
    public async Task Json_NullBody_SucceedsWithoutData()
    {
        var result = await DecodeAsync("json", "null");

        Assert.True(result.IsSuccess);
        Assert.Null(result.Data);
    }

    [Fact]
    public async Task Json_DuplicateKeys_LastOneWins() =>
        Assert.Equal("""{"a":2}""", await DecodeToJsonAsync("json", """{"a":1,"a":2}"""));

    [Fact]
    public async Task Json_ContentAfterTheFirstValue_IsIgnored() =>
        Assert.Equal("""{"a":1}""", await DecodeToJsonAsync("json", """{"a":1} {"b":2} trailing"""));

    [Theory]
    [InlineData("1.0")]
    [InlineData("1e3")]
    [InlineData("1E+3")]
    [InlineData("-0")]
    [InlineData("0.1000")]
    [InlineData("12345678901234567890")]
    [InlineData("123456789012345678901234567890.123456789")]
    public async Task Json_NumberLiteral_SurvivesRendering(string number)
    {
        Assert.Equal($$"""{"n":{{number}}}""", await DecodeToJsonAsync("json", $$"""{"n":{{number}}}"""));
        Assert.Equal($$"""{"collection":[{{number}}]}""", await DecodeToJsonAsync("json", $"[{number}]", isCollection: true));
        Assert.Equal($$"""{"result":{{number}}}""", await DecodeToJsonAsync("safejson", number));
    }

    [Fact]
    public async Task JsonCollection_Array_GoesUnderCollection() =>
        Assert.Equal(
            """{"collection":[{"a":1},2,"three",[]]}""",
            await DecodeToJsonAsync("json", """[{"a":1},2,"three",[]]""", isCollection: true));

    [Fact]
    public async Task JsonCollection_NullBody_IsANullCollection() =>
        Assert.Equal("""{"collection":null}""", await DecodeToJsonAsync("json", "null", isCollection: true));

    [Theory]
    [InlineData("{\"a\":1}", "json: cannot unmarshal object into Go value of type []interface {}")]
    [InlineData("1", "json: cannot unmarshal number into Go value of type []interface {}")]
    [InlineData("\"s\"", "json: cannot unmarshal string into Go value of type []interface {}")]
    [InlineData("", "EOF")]
    public async Task JsonCollection_NotAnArray_IsAnError(string body, string error)
    {
        var result = await DecodeAsync("json", body, isCollection: true);

        Assert.Null(result.Data);
        Assert.Equal(error, result.Error);
    }

    [Theory]
    [InlineData("""{"b":[1],"a":"x"}""", """{"a":"x","b":[1]}""")]
    [InlineData("""[1,{"a":2}]""", """{"collection":[1,{"a":2}]}""")]
    [InlineData("[]", """{"collection":[]}""")]
    [InlineData("\"text\"", """{"result":"text"}""")]
    [InlineData("3.50", """{"result":3.50}""")]
    [InlineData("false", """{"result":false}""")]
    [InlineData("null", """{"result":null}""")]
    public async Task SafeJson_AnyValue_IsWrapped(string body, string expected)
    {
        Assert.Equal(expected, await DecodeToJsonAsync("safejson", body));
        Assert.Equal(expected, await DecodeToJsonAsync("safejson", body, isCollection: true));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[1,")]
    public async Task SafeJson_InvalidJson_IsAnError(string body) =>
        Assert.NotNull((await DecodeAsync("safejson", body)).Error);

    [Theory]
    [InlineData("plain text", """{"content":"plain text"}""")]
    [InlineData("", """{"content":""}""")]
    [InlineData("{\"a\": 1}\n", """{"content":"{\"a\": 1}\n"}""")]
    [InlineData("héllo <b> 😀", """{"content":"héllo \u003cb\u003e 😀"}""")]
    public async Task String_Body_GoesUnderContent(string body, string expected) =>
        Assert.Equal(expected, await DecodeToJsonAsync("string", body, isCollection: true));

    [Fact]
    public async Task String_BomAndInvalidUtf8_AreKeptAsGoRendersThem()
    {
        using var stream = new MemoryStream([0xEF, 0xBB, 0xBF, (byte)'a', 0xFF, (byte)'b']);

        var result = await ResponseDecoder.DecodeAsync("string", false, stream, CancellationToken.None);

        Assert.Equal("{\"content\":\"\uFEFFa\uFFFDb\"}", Json(result.Data));
    }

    [Theory]
    [InlineData("rss")]
    [InlineData("JSON")]
    [InlineData("")]
    public async Task UnknownEncoding_FallsBackToJson(string encoding)
    {
        Assert.Equal("""{"a":1}""", await DecodeToJsonAsync(encoding, """{"a":1}"""));
        Assert.Equal("""{"collection":[1]}""", await DecodeToJsonAsync(encoding, "[1]", isCollection: true));
        Assert.NotNull((await DecodeAsync(encoding, "[1]")).Error);
    }

    [Fact]
    public async Task NoOp_DoesNotReadTheBody()
    {
        var body = new ScriptedStream(_ => throw new InvalidOperationException("read"));

        var result = await ResponseDecoder.DecodeAsync("no-op", false, body, CancellationToken.None);

        Assert.True(result.IsSuccess);
        Assert.Null(result.Data);
    }

    [Fact]
    public async Task DecodeAsync_BodyOverTheCap_StopsReadingAndFails()
    {
        var served = 0L;
        var body = new ScriptedStream(buffer =>
        {
            buffer.Span.Fill((byte)' ');
            served += buffer.Length;
            return buffer.Length;
        });

        var result = await ResponseDecoder.DecodeAsync("string", false, body, CancellationToken.None);

        Assert.Null(result.Data);
        Assert.Equal($"response body exceeds the {ResponseDecoder.MaxBodyBytes} byte limit", result.Error);
        Assert.Equal(ResponseDecoder.MaxBodyBytes + 1L, served);
    }

    [Theory]
    [InlineData(16, true)]
    [InlineData(15, false)]
    public async Task DecodeAsync_BodyAtTheLimit_IsAccepted(int limit, bool accepted)
    {
        using var stream = new MemoryStream(TextEncoding.UTF8.GetBytes("""{"key":"value1"}"""));

        var result = await ResponseDecoder.DecodeAsync("json", false, stream, limit, CancellationToken.None);

        Assert.Equal(accepted, result.IsSuccess);
        Assert.Equal(accepted ? null : $"response body exceeds the {limit} byte limit", result.Error);
    }

    [Theory]
    [InlineData(16 * 1024, true)]
    [InlineData((16 * 1024) + 1, false)]
    public async Task DecodeAsync_BodyFillingTheBufferAtTheLimit_IsProbedForMore(int size, bool accepted)
    {
        using var stream = new MemoryStream(new byte[size]);

        var result = await ResponseDecoder.DecodeAsync("string", false, stream, 16 * 1024, CancellationToken.None);

        Assert.Equal(accepted, result.IsSuccess);
        Assert.Equal(accepted ? size : null, result.Data?["content"]!.GetValue<string>().Length);
    }

    [Fact]
    public async Task DecodeAsync_LargeBodyInSmallReads_IsReadWhole()
    {
        var text = new string('x', 100_000);
        var bytes = TextEncoding.UTF8.GetBytes($$"""{"text":"{{text}}"}""");
        var position = 0;
        var body = new ScriptedStream(buffer =>
        {
            var count = Math.Min(Math.Min(buffer.Length, 7), bytes.Length - position);
            bytes.AsSpan(position, count).CopyTo(buffer.Span);
            position += count;
            return count;
        });

        var result = await ResponseDecoder.DecodeAsync("json", false, body, CancellationToken.None);

        Assert.Equal(text, result.Data!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task DecodeAsync_ReadFailure_IsAnError()
    {
        var body = new ScriptedStream(_ => throw new IOException("connection reset"));

        var result = await ResponseDecoder.DecodeAsync("json", false, body, CancellationToken.None);

        Assert.Equal("connection reset", result.Error);
    }

    [Fact]
    public async Task DecodeAsync_Cancelled_Throws()
    {
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();
        using var stream = new MemoryStream("{}"u8.ToArray());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await ResponseDecoder.DecodeAsync("json", false, stream, cancellation.Token));
    }

    /// <summary>A read-only stream whose reads are answered by a callback.</summary>
    private sealed class ScriptedStream(Func<Memory<byte>, int> read) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => read(buffer.AsMemory(offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(read(buffer));
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
