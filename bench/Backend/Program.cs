// A tiny fixed-answer backend for bench/run.sh: GET /data and GET /data2 return small constant JSON objects
// (about 200 bytes each), so the benchmark measures the proxies in front of it, not the backend.
//
//   BenchBackend PORT      listens on 127.0.0.1:PORT only

using System.Text;

var port = args.Length > 0 && int.TryParse(args[0], out var p) ? p : 9100;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(options => options.Listen(System.Net.IPAddress.Loopback, port));

var app = builder.Build();

var data = Encoding.UTF8.GetBytes(
    """{"id":42,"name":"benchmark item","description":"a small fixed JSON object served by the bench backend","tags":["alpha","beta","gamma"],"price":12.5,"available":true,"owner":{"id":7,"login":"bench"}}""");
var data2 = Encoding.UTF8.GetBytes(
    """{"stock":{"warehouse":"north","count":1234,"reserved":56},"updated":"2025-01-01T00:00:00Z","ratings":[5,4,5,3,4],"shipping":{"days":2,"cost":3.99,"carrier":"bench-express"},"featured":false}""");

app.MapGet("/data", (HttpContext context) => Write(context, data));
app.MapGet("/data2", (HttpContext context) => Write(context, data2));

app.Run();

static Task Write(HttpContext context, byte[] body)
{
    context.Response.ContentType = "application/json";
    context.Response.ContentLength = body.Length;
    return context.Response.Body.WriteAsync(body).AsTask();
}
