using System.Buffers;

namespace FunctionApp.Gateway.Backends;

public enum StreamCopyResult
{
    Success,
    InputError,
    OutputError,
    Canceled,
}

/// <summary>
/// Copies a body from one stream to another through a pooled buffer, without ever holding the whole body.
/// A zero-byte read first means no buffer is rented while the source is idle. Failures are returned, not thrown.
/// </summary>
public static class StreamCopier
{
    private const int BufferSize = 64 * 1024;

    public static async ValueTask<StreamCopyResult> CopyAsync(Stream input, Stream output, CancellationToken cancellationToken)
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                int read;
                try
                {
                    if (buffer is null)
                    {
                        await input.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                        buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                    }

                    read = await input.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return StreamCopyResult.Canceled;
                }
                catch (Exception)
                {
                    return cancellationToken.IsCancellationRequested ? StreamCopyResult.Canceled : StreamCopyResult.InputError;
                }

                if (read == 0)
                {
                    return StreamCopyResult.Success;
                }

                try
                {
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    if (read < buffer.Length)
                    {
                        // A short read means the source is waiting: push what we have to the client now.
                        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException)
                {
                    return StreamCopyResult.Canceled;
                }
                catch (Exception)
                {
                    return cancellationToken.IsCancellationRequested ? StreamCopyResult.Canceled : StreamCopyResult.OutputError;
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
