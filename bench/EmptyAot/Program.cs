// The cold-start floor: what the `webapiaot` template boils down to (CreateSlimBuilder, one minimal-API route),
// so bench/coldstart.sh can compare the gateway's time to first response with an app that does nothing else.
//
//   BenchEmptyAot PORT      listens on 127.0.0.1:PORT only; GET / answers {"ok":true}

var port = args.Length > 0 && int.TryParse(args[0], out var p) ? p : 9200;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(options => options.Listen(System.Net.IPAddress.Loopback, port));

var app = builder.Build();
app.MapGet("/", () => Results.Text("""{"ok":true}""", "application/json"));
app.Run();
