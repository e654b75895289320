// A minimal OTLP/HTTP receiver for bench/run.sh: accepts POST /v1/traces, /v1/metrics and /v1/logs with
// application/x-protobuf bodies (gzip-encoded too), reads each body fully, counts requests, bytes, spans, metrics and
// data points, and answers 200 with an empty body (an empty Export…ServiceResponse). Nothing is stored.
//
//   BenchOtlpSink PORT      listens on 127.0.0.1:PORT only
//   GET /stats              the counts so far, one line of key=value pairs (the script takes differences)
//
// The same line is printed to stdout when the process stops (SIGTERM / Ctrl-C).

using System.Buffers;
using System.IO.Compression;
using System.IO.Pipelines;
using Bench.OtlpSink;

var port = args.Length > 0 && int.TryParse(args[0], out var p) ? p : 4318;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(options => options.Listen(System.Net.IPAddress.Loopback, port));

var app = builder.Build();
var counts = new SinkCounts();

app.MapPost("/v1/traces", (HttpContext context) => ReceiveAsync(context, Signal.Traces, counts));
app.MapPost("/v1/metrics", (HttpContext context) => ReceiveAsync(context, Signal.Metrics, counts));
app.MapPost("/v1/logs", (HttpContext context) => ReceiveAsync(context, Signal.Logs, counts));
app.MapGet("/stats", () => Results.Text(counts.ToString() + "\n"));

app.Lifetime.ApplicationStopping.Register(() => Console.WriteLine($"[otlp-sink] totals: {counts}"));
app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine($"[otlp-sink] listening on http://127.0.0.1:{port}"));
app.Run();

static async Task ReceiveAsync(HttpContext context, Signal signal, SinkCounts counts)
{
    var request = context.Request;
    if (request.ContentType is not { } contentType
        || !contentType.StartsWith("application/x-protobuf", StringComparison.OrdinalIgnoreCase))
    {
        counts.Rejected();
        context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
        return;
    }

    // Read the whole body before answering, as a collector does.
    var reader = request.BodyReader;
    ReadResult read;
    while (true)
    {
        read = await reader.ReadAsync(context.RequestAborted);
        if (read.IsCompleted || read.IsCanceled)
        {
            break;
        }

        reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
    }

    // Parsed before the buffer goes back to the pipe (a multi-segment body is copied once).
    var body = read.Buffer;
    var payload = body.IsSingleSegment ? body.First : body.ToArray();
    var encoding = request.Headers.ContentEncoding.ToString();
    if (encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase))
    {
        payload = Gunzip(payload);
    }
    else if (encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
    {
        payload = ReadOnlyMemory<byte>.Empty; // counted, not parsed
    }

    counts.Add(signal, body.Length, payload.Span);
    reader.AdvanceTo(body.End);

    context.Response.StatusCode = StatusCodes.Status200OK;
    context.Response.ContentType = "application/x-protobuf";
    context.Response.ContentLength = 0;
}

static byte[] Gunzip(ReadOnlyMemory<byte> compressed)
{
    using var input = new MemoryStream(compressed.ToArray());
    using var gzip = new GZipStream(input, CompressionMode.Decompress);
    using var output = new MemoryStream();
    gzip.CopyTo(output);
    return output.ToArray();
}
