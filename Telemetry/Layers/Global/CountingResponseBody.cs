using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;
using Telemetry.Instrumentation;

namespace Telemetry.Layers.Global;

/// <summary>
/// Counts the response bytes the handler writes, through either <see cref="Stream"/> or <see cref="Writer"/>: KrakenD's
/// <c>http.server.response.size</c> is the bytes actually written, not the <c>Content-Length</c> (§4.2). The wrappers
/// are created only when the handler asks for them.
/// </summary>
internal sealed class CountingResponseBody(IHttpResponseBodyFeature inner) : IHttpResponseBodyFeature
{
    private CountingStream? _stream;
    private CountingPipeWriter? _writer;

    public IHttpResponseBodyFeature Inner { get; } = inner;

    public long BytesWritten { get; private set; }

    public Stream Stream => _stream ??= new CountingStream(this);

    public PipeWriter Writer => _writer ??= new CountingPipeWriter(this);

    public void DisableBuffering() => Inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => Inner.StartAsync(cancellationToken);

    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        await Inner.SendFileAsync(path, offset, count, cancellationToken).ConfigureAwait(false);
        BytesWritten += count ?? Math.Max(0, new FileInfo(path).Length - offset);
    }

    public Task CompleteAsync() => Inner.CompleteAsync();

    private sealed class CountingStream(CountingResponseBody owner) : WriteOnlyStream
    {
        private Stream Target => owner.Inner.Stream;

        public override void Flush() => Target.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => Target.FlushAsync(cancellationToken);

        public override void Write(byte[] buffer, int offset, int count)
        {
            Target.Write(buffer, offset, count);
            owner.BytesWritten += count;
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Target.Write(buffer);
            owner.BytesWritten += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Target.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            owner.BytesWritten += buffer.Length;
        }
    }

    private sealed class CountingPipeWriter(CountingResponseBody owner) : PipeWriter
    {
        private PipeWriter Target => owner.Inner.Writer;

        public override void Advance(int bytes)
        {
            Target.Advance(bytes);
            owner.BytesWritten += bytes;
        }

        public override void CancelPendingFlush() => Target.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => Target.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => Target.CompleteAsync(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => Target.FlushAsync(cancellationToken);

        public override Memory<byte> GetMemory(int sizeHint = 0) => Target.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => Target.GetSpan(sizeHint);

        public override async ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            var result = await Target.WriteAsync(source, cancellationToken).ConfigureAwait(false);
            owner.BytesWritten += source.Length;
            return result;
        }

        public override bool CanGetUnflushedBytes => Target.CanGetUnflushedBytes;

        public override long UnflushedBytes => Target.UnflushedBytes;
    }
}
