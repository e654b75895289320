namespace FunctionApp.Hosting;

/// <summary>The logging both the gateway and the companion use.</summary>
internal static class HostLogging
{
    /// <summary>
    /// One line per event, UTC timestamps (the Functions host captures stdout/stderr line by line into its own logs),
    /// and ASP.NET Core's own chatter at warnings only. With its hosting logger on, ASP.NET Core would also start an
    /// Activity per request (for log scopes) that nothing here uses.
    /// </summary>
    public static void Configure(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
    }
}
