using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Telemetry.Flush;

namespace FunctionApp.Tests.Telemetry.Flush;

public sealed class HoldBackResponseBodyTests
{
    private static readonly byte[] Body = [.. Enumerable.Range(0, 100).Select(i => (byte)i)];

    public static TheoryData<string> WritePatterns => ["stream", "stream-sync", "writer-memory", "writer-write", "one-byte-writes", "mixed"];

    [Theory]
    [MemberData(nameof(WritePatterns))]
    public async Task Write_AnyPattern_ForwardsAllButTheLastByteUntilRelease(string pattern)
    {
        var inner = new RecordingBodyFeature();
        var holdBack = new HoldBackResponseBody(inner, bodyless: false);

        await WriteAsync(holdBack, pattern);
        await holdBack.Writer.FlushAsync();

        Assert.Equal(Body[..^1], inner.Written);
        await holdBack.ReleaseAsync();
        Assert.Equal(Body, inner.Written);
    }

    [Theory]
    [MemberData(nameof(WritePatterns))]
    public async Task Write_AnyPatternWithContentLength_NeverForwardsTheLastByteAndReleaseCompletesTheBody(string pattern)
    {
        var inner = new RecordingBodyFeature();
        var holdBack = new HoldBackResponseBody(inner, bodyless: false, new HeaderDictionary { ContentLength = Body.Length });

        await WriteAsync(holdBack, pattern);
        await holdBack.CompleteAsync();

        var before = inner.Written;
        Assert.True(before.Length < Body.Length);
        Assert.Equal(Body[..before.Length], before);
        await holdBack.ReleaseAsync();
        Assert.Equal(Body, inner.Written);
    }

    [Fact]
    public async Task WriteAsync_WholeBodyPerContentLengthAtOnce_NothingSentBeforeRelease()
    {
        var inner = new RecordingBodyFeature();
        var holdBack = new HoldBackResponseBody(inner, bodyless: false, new HeaderDictionary { ContentLength = Body.Length });

        await holdBack.Stream.WriteAsync(Body);
        await holdBack.CompleteAsync();

        Assert.Empty(inner.Written);
        await holdBack.ReleaseAsync();
        Assert.Equal(Body, inner.Written);
        Assert.Equal(1, inner.Completions);
    }

    [Fact]
    public async Task WriteAsync_ContentLengthNotReached_StreamsAllButTheLastByte()
    {
        var inner = new RecordingBodyFeature();
        var holdBack = new HoldBackResponseBody(inner, bodyless: false, new HeaderDictionary { ContentLength = Body.Length * 2 });

        await holdBack.Stream.WriteAsync(Body);

        Assert.Equal(Body[..^1], inner.Written);
    }

    [Fact]
    public async Task StartAsync_NothingWritten_DeferredToRelease()
    {
        var inner = new RecordingBodyFeature();
        var holdBack = new HoldBackResponseBody(inner, bodyless: false);

        await holdBack.StartAsync();
        await holdBack.Stream.FlushAsync();
        await holdBack.Writer.FlushAsync();

        Assert.Equal(0, inner.Starts);
        await holdBack.ReleaseAsync();
        Assert.Equal(1, inner.Starts);
        Assert.Empty(inner.Written);
    }

    [Fact]
    public async Task CompleteAsync_BeforeRelease_DeferredToRelease()
    {
        var inner = new RecordingBodyFeature();
        var holdBack = new HoldBackResponseBody(inner, bodyless: false);

        await holdBack.Stream.WriteAsync(Body);
        await holdBack.CompleteAsync();

        Assert.Equal(0, inner.Completions);
        Assert.Equal(Body[..^1], inner.Written);
        await holdBack.ReleaseAsync();
        Assert.Equal(1, inner.Completions);
        Assert.Equal(Body, inner.Written);
    }

    [Fact]
    public async Task Write_Bodyless_DiscardedAndStartDeferredToRelease()
    {
        var inner = new RecordingBodyFeature();
        var holdBack = new HoldBackResponseBody(inner, bodyless: true);

        await holdBack.Stream.WriteAsync(Body);
        Body.CopyTo(holdBack.Writer.GetSpan(Body.Length));
        holdBack.Writer.Advance(Body.Length);
        await holdBack.Writer.FlushAsync();

        Assert.Equal(0, inner.Starts);
        await holdBack.ReleaseAsync();
        Assert.Equal(1, inner.Starts);
        Assert.Empty(inner.Written);
    }

    [Fact]
    public async Task SendFileAsync_Range_HoldsTheRangesLastByte()
    {
        var path = Path.GetTempFileName();
        try
        {
            var file = new byte[1000];
            Random.Shared.NextBytes(file);
            await File.WriteAllBytesAsync(path, file);
            var inner = new RecordingBodyFeature();
            var holdBack = new HoldBackResponseBody(inner, bodyless: false);

            await holdBack.Stream.WriteAsync(Body);
            await holdBack.SendFileAsync(path, 10, 500);

            Assert.Equal([.. Body, .. file[10..509]], inner.Written);
            await holdBack.ReleaseAsync();
            Assert.Equal([.. Body, .. file[10..510]], inner.Written);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Write_AfterRelease_PassesStraightThrough()
    {
        var inner = new RecordingBodyFeature();
        var holdBack = new HoldBackResponseBody(inner, bodyless: false);
        await holdBack.Stream.WriteAsync(Body.AsMemory(0, 50));
        await holdBack.ReleaseAsync();

        await holdBack.Stream.WriteAsync(Body.AsMemory(50));
        await holdBack.Writer.FlushAsync();

        Assert.Equal(Body, inner.Written);
    }

    private static async Task WriteAsync(HoldBackResponseBody holdBack, string pattern)
    {
        switch (pattern)
        {
            case "stream":
                await holdBack.Stream.WriteAsync(Body.AsMemory(0, 30));
                await holdBack.Stream.WriteAsync(Body.AsMemory(30));
                break;
            case "stream-sync":
                holdBack.Stream.Write(Body, 0, 30);
                holdBack.Stream.Write(Body.AsSpan(30));
                break;
            case "writer-memory":
                var span = holdBack.Writer.GetSpan(40);
                Body.AsSpan(0, 40).CopyTo(span);
                holdBack.Writer.Advance(40);
                holdBack.Writer.GetMemory();
                holdBack.Writer.Advance(0);
                Body.AsSpan(40).CopyTo(holdBack.Writer.GetMemory(60).Span);
                holdBack.Writer.Advance(60);
                break;
            case "writer-write":
                await holdBack.Writer.WriteAsync(Body.AsMemory(0, 1));
                await holdBack.Writer.WriteAsync(Body.AsMemory(1));
                break;
            case "one-byte-writes":
                for (var i = 0; i < Body.Length; i++)
                {
                    await holdBack.Stream.WriteAsync(Body.AsMemory(i, 1));
                }

                break;
            case "mixed":
                await holdBack.Stream.WriteAsync(Body.AsMemory(0, 10));
                holdBack.Writer.GetSpan(1)[0] = Body[10];
                holdBack.Writer.Advance(1);
                await holdBack.Stream.WriteAsync(ReadOnlyMemory<byte>.Empty);
                await holdBack.Writer.WriteAsync(Body.AsMemory(11, 39));
                await holdBack.Stream.FlushAsync();
                Body.AsSpan(50).CopyTo(holdBack.Writer.GetSpan(50));
                holdBack.Writer.Advance(50);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(pattern), pattern, null);
        }
    }

    /// <summary>An inner body feature over a memory stream, counting starts and completions.</summary>
    private sealed class RecordingBodyFeature : IHttpResponseBodyFeature
    {
        private readonly MemoryStream _body = new();

        public RecordingBodyFeature() => Writer = PipeWriter.Create(_body, new StreamPipeWriterOptions(leaveOpen: true));

        public byte[] Written => _body.ToArray();

        public int Starts { get; private set; }

        public int Completions { get; private set; }

        public Stream Stream => _body;

        public PipeWriter Writer { get; }

        public void DisableBuffering()
        {
        }

        public Task StartAsync(CancellationToken cancellationToken = default)
        {
            Starts++;
            return Task.CompletedTask;
        }

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
            Microsoft.AspNetCore.Http.SendFileFallback.SendFileAsync(_body, path, offset, count, cancellationToken);

        public async Task CompleteAsync()
        {
            Completions++;
            await Writer.FlushAsync();
        }
    }
}
