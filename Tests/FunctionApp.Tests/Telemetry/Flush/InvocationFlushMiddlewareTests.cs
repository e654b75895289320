using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Telemetry.Flush;

namespace FunctionApp.Tests.Telemetry.Flush;

/// <summary>The middleware on a real Kestrel server: the client must not hold a complete response before the flush ends.</summary>
public sealed class InvocationFlushMiddlewareTests
{
    private static readonly TimeSpan Patience = GatedFlushAction.Patience;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);
    private static readonly byte[] Body = [.. Enumerable.Range(0, 3000).Select(i => (byte)(i * 7))];

    // What the client holds before the flush ends: everything but the last byte while the body streams; once the last
    // write reaches the Content-Length, only what had gone before it (the first 1000 bytes, but the one held back), the
    // rest leaving in one write.
    [Theory]
    [InlineData("content-length-stream", 999)]
    [InlineData("content-length-pipewriter", 999)]
    [InlineData("chunked-stream", 2999)]
    [InlineData("chunked-pipewriter", 2999)]
    [InlineData("sendfile", 2999)]
    public async Task Response_BodyWritten_ClientLacksTheLastByteUntilTheFlushEnds(string writer, int beforeFlush)
    {
        var path = writer == "sendfile" ? Path.GetTempFileName() : null;
        try
        {
            if (path is not null)
            {
                await File.WriteAllBytesAsync(path, Body);
            }

            using var gate = new GatedFlushAction();
            await using var server = await FlushServer.StartAsync(Gated(gate), context => WriteBodyAsync(context, writer, path));
            using var client = server.CreateClient();

            using var response = await client.GetAsync("/", HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            var received = new byte[Body.Length + 1];
            await body.ReadExactlyAsync(received.AsMemory(0, beforeFlush));
            Assert.True(await gate.WaitEnteredAsync());
            var rest = body.ReadAtLeastAsync(received.AsMemory(beforeFlush, Body.Length - beforeFlush), Body.Length - beforeFlush).AsTask();

            Assert.False(rest.IsCompleted);
            gate.Proceed();
            Assert.Equal(Body.Length - beforeFlush, await rest.WaitAsync(Patience));
            Assert.Equal(0, await body.ReadAsync(received.AsMemory(Body.Length)).AsTask().WaitAsync(Patience));
            Assert.Equal(Body, received[..Body.Length]);
            Assert.Equal(writer.StartsWith("chunked", StringComparison.Ordinal), response.Headers.TransferEncodingChunked == true);
        }
        finally
        {
            if (path is not null)
            {
                File.Delete(path);
            }
        }
    }

    [Fact]
    public async Task Response_NoContentStartedByHandler_ClientGetsNothingUntilTheFlushEnds()
    {
        using var gate = new GatedFlushAction();
        bool? startedInHandler = null;
        await using var server = await FlushServer.StartAsync(Gated(gate), async context =>
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            await context.Response.StartAsync();

            // Kestrel's StartAsync only buffers the headers; a flush is what would send them.
            await context.Response.Body.FlushAsync();
            startedInHandler = context.Response.HasStarted;
        });
        using var client = server.CreateClient();

        var send = client.GetAsync("/");
        Assert.True(await gate.WaitEnteredAsync());

        Assert.False(startedInHandler);
        Assert.False(send.IsCompleted);
        gate.Proceed();
        using var response = await send.WaitAsync(Patience);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Response_Head_ClientGetsNothingUntilTheFlushEnds()
    {
        using var gate = new GatedFlushAction();
        bool? startedInHandler = null;
        await using var server = await FlushServer.StartAsync(Gated(gate), async context =>
        {
            context.Response.ContentLength = Body.Length;
            await context.Response.Body.WriteAsync(Body);
            startedInHandler = context.Response.HasStarted;
        });
        using var client = server.CreateClient();

        var send = client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"));
        Assert.True(await gate.WaitEnteredAsync());

        Assert.False(startedInHandler);
        Assert.False(send.IsCompleted);
        gate.Proceed();
        using var response = await send.WaitAsync(Patience);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Body.Length, response.Content.Headers.ContentLength);
    }

    [Theory]
    [InlineData("content-length-stream")]
    [InlineData("chunked-pipewriter")]
    public async Task Response_LargeBodyIn64KiBWrites_ArrivesIntact(string writer)
    {
        var large = new byte[4 * 1024 * 1024];
        Random.Shared.NextBytes(large);
        var flusher = new InvocationFlusher([_ => true], Budget, new FakeTimeProvider());
        await using var server = await FlushServer.StartAsync(flusher, async context =>
        {
            if (writer == "content-length-stream")
            {
                context.Response.ContentLength = large.Length;
            }

            for (var offset = 0; offset < large.Length; offset += 64 * 1024)
            {
                var piece = large.AsMemory(offset, 64 * 1024);
                if (writer == "content-length-stream")
                {
                    await context.Response.Body.WriteAsync(piece);
                }
                else
                {
                    await context.Response.BodyWriter.WriteAsync(piece);
                }
            }
        });
        using var client = server.CreateClient();

        var received = await client.GetByteArrayAsync("/");

        Assert.True(large.AsSpan().SequenceEqual(received));
        Assert.Equal(1, flusher.CallersServed);
    }

    [Fact]
    public async Task Middleware_HandlerThrowsAfterWritingTheBody_ClientStillGetsTheWholeBody()
    {
        var flusher = new InvocationFlusher([_ => true], Budget, new FakeTimeProvider());
        await using var server = await FlushServer.StartAsync(flusher, async context =>
        {
            context.Response.ContentLength = Body.Length;
            await context.Response.Body.WriteAsync(Body);
            throw new InvalidOperationException("handler failed after the body");
        });
        using var client = server.CreateClient();

        var received = await client.GetByteArrayAsync("/");

        Assert.Equal(Body, received);
        Assert.Equal(1, flusher.FlushesStarted);
    }

    [Fact]
    public async Task Middleware_HandlerThrowsBeforeWriting_ClientGets500AndTheFlushRuns()
    {
        var flusher = new InvocationFlusher([_ => true], Budget, new FakeTimeProvider());
        await using var server = await FlushServer.StartAsync(flusher, _ => throw new InvalidOperationException("handler failed"));
        using var client = server.CreateClient();

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(1, flusher.CallersServed);
    }

    [Fact]
    public async Task Middleware_FlushOutlivesTheBudget_ResponseCompletesUnchanged()
    {
        using var gate = new GatedFlushAction();
        var time = new FakeTimeProvider();
        await using var server = await FlushServer.StartAsync(new InvocationFlusher([gate.Invoke], Budget, time), async context =>
        {
            context.Response.ContentLength = Body.Length;
            await context.Response.Body.WriteAsync(Body);
        });
        using var client = server.CreateClient();

        var received = client.GetByteArrayAsync("/");
        Assert.True(await gate.WaitEnteredAsync());
        time.Advance(Budget);

        Assert.Equal(Body, await received.WaitAsync(Patience));
        Assert.Equal(0, gate.Completed);
    }

    [Fact]
    public async Task Middleware_FlushThrows_ResponseUnchanged()
    {
        var flusher = new InvocationFlusher([_ => throw new InvalidOperationException("collector down")], Budget, new FakeTimeProvider());
        await using var server = await FlushServer.StartAsync(flusher, async context =>
        {
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            await context.Response.Body.WriteAsync(Body);
        });
        using var client = server.CreateClient();

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(Body, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, flusher.Failures);
    }

    [Fact]
    public async Task Middleware_PredicateSaysNothingRecorded_SkipsTheFlush()
    {
        var flusher = new InvocationFlusher([_ => true], Budget, new FakeTimeProvider());
        await using var server = await FlushServer.StartAsync(
            flusher,
            context => context.Response.WriteAsync("ok"),
            context => context.Request.Path != "/probe");
        using var client = server.CreateClient();

        Assert.Equal("ok", await client.GetStringAsync("/probe"));
        Assert.Equal(0, flusher.FlushesStarted);
        Assert.Equal("ok", await client.GetStringAsync("/api"));
        Assert.Equal(1, flusher.FlushesStarted);
    }

    private static InvocationFlusher Gated(GatedFlushAction gate) => new([gate.Invoke], Budget, new FakeTimeProvider());

    private static async Task WriteBodyAsync(HttpContext context, string writer, string? path)
    {
        var response = context.Response;
        if (writer.StartsWith("content-length", StringComparison.Ordinal) || writer == "sendfile")
        {
            response.ContentLength = Body.Length;
        }

        switch (writer)
        {
            case "content-length-stream":
            case "chunked-stream":
                await response.Body.WriteAsync(Body.AsMemory(0, 1000));
                await response.Body.FlushAsync();
                await response.Body.WriteAsync(Body.AsMemory(1000));
                break;
            case "content-length-pipewriter":
            case "chunked-pipewriter":
                Body.AsSpan(0, 1000).CopyTo(response.BodyWriter.GetSpan(1000));
                response.BodyWriter.Advance(1000);
                await response.BodyWriter.FlushAsync();
                await response.BodyWriter.WriteAsync(Body.AsMemory(1000));
                break;
            case "sendfile":
                await response.SendFileAsync(path!);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(writer), writer, null);
        }
    }

    /// <summary>Kestrel on a free loopback port with the middleware outermost.</summary>
    private sealed class FlushServer(WebApplication app, Uri address) : IAsyncDisposable
    {
        public static async Task<FlushServer> StartAsync(InvocationFlusher flusher, RequestDelegate handler, Func<HttpContext, bool>? shouldFlush = null)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.Use(InvocationFlushMiddleware.Create(flusher, shouldFlush));
            app.Run(handler);
            await app.StartAsync();
            return new FlushServer(app, new Uri(app.Urls.First()));
        }

        public HttpClient CreateClient() => new() { BaseAddress = address, Timeout = Patience };

        public async ValueTask DisposeAsync()
        {
            using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
            {
                await app.StopAsync(stop.Token);
            }

            await app.DisposeAsync();
        }
    }
}
