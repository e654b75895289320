// A minimal YARP reverse proxy for bench/run.sh: every request goes to one backend. Routes and clusters are in
// memory (no configuration files), logging is off.
//
//   BenchYarpProxy PORT BACKEND_URL      e.g. BenchYarpProxy 9200 http://127.0.0.1:9100/

using Yarp.ReverseProxy.Configuration;

var port = args.Length > 0 && int.TryParse(args[0], out var p) ? p : 9200;
var backend = args.Length > 1 ? args[1] : "http://127.0.0.1:9100/";

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(options => options.Listen(System.Net.IPAddress.Loopback, port));

builder.Services.AddReverseProxy().LoadFromMemory(
    [
        new RouteConfig
        {
            RouteId = "all",
            ClusterId = "backend",
            Match = new RouteMatch { Path = "{**catch-all}" },
        },
    ],
    [
        new ClusterConfig
        {
            ClusterId = "backend",
            Destinations = new Dictionary<string, DestinationConfig>
            {
                ["backend"] = new DestinationConfig { Address = backend },
            },
        },
    ]);

var app = builder.Build();
app.MapReverseProxy();
app.Run();
