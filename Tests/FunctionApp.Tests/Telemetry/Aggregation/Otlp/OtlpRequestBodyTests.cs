using System.IO.Compression;
using Telemetry.Aggregation.Otlp;

namespace FunctionApp.Tests.Telemetry.Aggregation.Otlp;

public sealed class OtlpRequestBodyTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("identity")]
    [InlineData(" Identity ")]
    public async Task ReadAsync_Uncompressed_ReturnsTheBody(string? contentEncoding)
    {
        var data = RandomBytes(100_000);

        using var body = await OtlpRequestBody.ReadAsync(new MemoryStream(data), contentEncoding, 1_000_000);

        Assert.Equal(OtlpBodyStatus.Ok, body.Status);
        Assert.Null(body.Error);
        Assert.Equal(data, body.Span.ToArray());
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("GZIP")]
    [InlineData("x-gzip")]
    public async Task ReadAsync_Gzip_ReturnsTheDecompressedBody(string contentEncoding)
    {
        var data = RandomBytes(100_000);

        using var body = await OtlpRequestBody.ReadAsync(new MemoryStream(Gzip(data)), contentEncoding, 1_000_000);

        Assert.Equal(OtlpBodyStatus.Ok, body.Status);
        Assert.Equal(data, body.Span.ToArray());
    }

    [Fact]
    public async Task ReadAsync_ConcatenatedGzipMembers_ReturnsAllOfThem()
    {
        byte[] first = [1, 2, 3], second = [4, 5];

        using var body = await OtlpRequestBody.ReadAsync(new MemoryStream([.. Gzip(first), .. Gzip(second)]), "gzip", 100);

        Assert.Equal([1, 2, 3, 4, 5], body.Span.ToArray());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("gzip")]
    public async Task ReadAsync_BodyOfExactlyTheLimit_IsAcceptedAndOneMoreByteIsNot(string? contentEncoding)
    {
        var data = new byte[4096];
        Stream Source(byte[] bytes) => new MemoryStream(contentEncoding is null ? bytes : Gzip(bytes));

        using var atLimit = await OtlpRequestBody.ReadAsync(Source(data), contentEncoding, data.Length);
        using var overLimit = await OtlpRequestBody.ReadAsync(Source([.. data, 0]), contentEncoding, data.Length);

        Assert.Equal(OtlpBodyStatus.Ok, atLimit.Status);
        Assert.Equal(data.Length, atLimit.Span.Length);
        Assert.Equal(OtlpBodyStatus.TooLarge, overLimit.Status);
        Assert.Equal("the request body is larger than 4096 bytes", overLimit.Error);
    }

    [Fact]
    public async Task ReadAsync_GzipBomb_IsTooLargeAfterReadingLittleOfIt()
    {
        // 64 MiB of zeros compress to ~64 KiB; the limit is 1 MiB decompressed.
        var bomb = Gzip(new byte[64 * 1024 * 1024]);
        var source = new CountingStream(new MemoryStream(bomb));

        using var body = await OtlpRequestBody.ReadAsync(source, "gzip", 1024 * 1024);

        Assert.Equal(OtlpBodyStatus.TooLarge, body.Status);
        Assert.True(source.BytesRead < bomb.Length / 4, $"read {source.BytesRead} of {bomb.Length} compressed bytes");
        Assert.Throws<InvalidOperationException>(() => body.Span.Length);
    }

    [Fact]
    public async Task ReadAsync_EndlessEmptyDeflateBlocks_AreTooLargeByCompressedSize()
    {
        // Stored blocks of length 0 decompress to nothing: only the compressed-size cap stops them.
        byte[] header = [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0xFF];
        byte[] emptyBlock = [0x00, 0x00, 0x00, 0xFF, 0xFF];
        byte[] finalBlockAndTrailer = [0x01, 0x00, 0x00, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0];
        var body = header.Concat(Enumerable.Repeat(emptyBlock, 10_000).SelectMany(b => b)).Concat(finalBlockAndTrailer).ToArray();

        using var small = await OtlpRequestBody.ReadAsync(new MemoryStream(body), "gzip", 1000);
        using var large = await OtlpRequestBody.ReadAsync(new MemoryStream(body), "gzip", 100_000);

        Assert.Equal(OtlpBodyStatus.TooLarge, small.Status);
        Assert.Equal(OtlpBodyStatus.Ok, large.Status);
        Assert.Equal(0, large.Span.Length);
    }

    [Fact]
    public async Task ReadAsync_InvalidGzip_IsInvalidEncoding()
    {
        using var body = await OtlpRequestBody.ReadAsync(new MemoryStream([0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]), "gzip", 1000);

        Assert.Equal(OtlpBodyStatus.InvalidEncoding, body.Status);
        Assert.StartsWith("the gzip body is invalid", body.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_NotGzipAtAll_IsInvalidEncoding()
    {
        using var body = await OtlpRequestBody.ReadAsync(new MemoryStream("plain text, not gzip"u8.ToArray()), "gzip", 1000);

        Assert.Equal(OtlpBodyStatus.InvalidEncoding, body.Status);
    }

    [Fact]
    public async Task ReadAsync_TruncatedGzip_IsRefusedOrShort()
    {
        var data = RandomBytes(10_000);
        var compressed = Gzip(data);

        for (var length = 0; length < compressed.Length; length += 97)
        {
            using var body = await OtlpRequestBody.ReadAsync(new MemoryStream(compressed, 0, length), "gzip", 100_000);
            Assert.True(body.Status == OtlpBodyStatus.InvalidEncoding || body.Span.Length < data.Length, $"prefix of {length} bytes");
        }
    }

    [Theory]
    [InlineData("br")]
    [InlineData("deflate")]
    [InlineData("gzip, gzip")]
    public async Task ReadAsync_OtherContentEncoding_IsUnsupported(string contentEncoding)
    {
        using var body = await OtlpRequestBody.ReadAsync(new MemoryStream([1]), contentEncoding, 1000);

        Assert.Equal(OtlpBodyStatus.UnsupportedEncoding, body.Status);
        Assert.Contains(contentEncoding, body.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Span_AfterDispose_Throws()
    {
        var body = await OtlpRequestBody.ReadAsync(new MemoryStream([1, 2]), null, 10);
        body.Dispose();
        body.Dispose();

        Assert.Throws<ObjectDisposedException>(() => body.Span.Length);
    }

    private static byte[] RandomBytes(int length)
    {
        var data = new byte[length];
        new Random(7).NextBytes(data);
        return data;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            BytesRead += read;
            return read;
        }
    }
}
