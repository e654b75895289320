using System.Globalization;
using System.Net;

namespace FunctionApp.Hosting;

/// <summary>What the user asked for on the command line.</summary>
public enum GatewayCommand
{
    Run,
    Check,
    Help,
    Version,

    /// <summary>The aggregating companion: OTLP metric ingest and one exact Prometheus <c>/metrics</c>.</summary>
    Companion,
}

/// <summary>
/// The command line, in KrakenD's spirit: <c>FunctionApp [run] [-c krakend.json] [-p port] [--listen-ip ip]</c>
/// and <c>FunctionApp check -c krakend.json</c>.
/// </summary>
public sealed record CommandLine
{
    public const string Usage = """
        Usage:
          FunctionApp [run] [-c|--config krakend.json] [-p|--port N] [--listen-ip IP]
          FunctionApp check -c|--config krakend.json
          FunctionApp companion [-p|--port N] [--listen-ip IP] [--storage CONNECTION-STRING] [--instance-id ID]
          FunctionApp --help | --version

        Without -c the configuration comes from the GATEWAY_CONFIG setting (a path, or the JSON itself),
        else from the embedded default. When FUNCTIONS_CUSTOMHANDLER_PORT is set (the Azure Functions host sets it),
        the gateway listens on 127.0.0.1 at that port only, and -p/--listen-ip are ignored.

        companion runs the aggregating metrics companion (POST /v1/metrics for OTLP pushes, GET /metrics for
        Prometheus), on port 9091 unless -p says otherwise. Its state goes to the Blob Storage account of --storage
        (else the AzureWebJobsStorage setting), as the shard --instance-id (else COMPANION_INSTANCE_ID); without one
        it stays in memory. Under the Functions host the same binary is the companion when the GATEWAY_ROLE setting
        is "companion".
        """;

    public GatewayCommand Command { get; init; } = GatewayCommand.Run;
    public string? ConfigPath { get; init; }
    public int? Port { get; init; }
    public IPAddress? ListenIp { get; init; }

    /// <summary><c>--storage</c>: the companion's Blob Storage connection string.</summary>
    public string? Storage { get; init; }

    /// <summary><c>--instance-id</c>: the companion's shard id.</summary>
    public string? InstanceId { get; init; }

    public static CommandLine Parse(string[] args, out string? error)
    {
        var result = ParseCore(args, out var problem);
        error = problem;
        return result;
    }

    private static CommandLine ParseCore(string[] args, out string? error)
    {
        error = null;
        string? valueError = null;
        var result = new CommandLine();
        var i = 0;
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            switch (args[0])
            {
                case "run":
                    break;
                case "check":
                    result = result with { Command = GatewayCommand.Check };
                    break;
                case "companion":
                    result = result with { Command = GatewayCommand.Companion };
                    break;
                case "help":
                    return result with { Command = GatewayCommand.Help };
                case "version":
                    return result with { Command = GatewayCommand.Version };
                default:
                    error = $"unknown command \"{args[0]}\"";
                    return result;
            }

            i = 1;
        }

        for (; i < args.Length; i++)
        {
            var arg = args[i];
            string? Value()
            {
                if (i + 1 < args.Length)
                {
                    return args[++i];
                }

                valueError = $"{arg} needs a value";
                return null;
            }

            switch (arg)
            {
                case "-c" or "--config":
                    result = result with { ConfigPath = Value() };
                    break;
                case "-p" or "--port":
                    var portText = Value();
                    if (portText is not null)
                    {
                        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
                        {
                            error = $"invalid port \"{portText}\"";
                        }
                        else
                        {
                            result = result with { Port = port };
                        }
                    }

                    break;
                case "--listen-ip":
                    var ipText = Value();
                    if (ipText is not null)
                    {
                        if (!IPAddress.TryParse(ipText, out var ip))
                        {
                            error = $"invalid IP address \"{ipText}\"";
                        }
                        else
                        {
                            result = result with { ListenIp = ip };
                        }
                    }

                    break;
                case "--storage":
                    result = result with { Storage = Value() };
                    break;
                case "--instance-id":
                    result = result with { InstanceId = Value() };
                    break;
                case "-d" or "--debug":
                    // KrakenD's -d turns on the debug endpoint; ours is configured in krakend.json. Accepted for habit.
                    break;
                case "-h" or "--help":
                    return result with { Command = GatewayCommand.Help };
                case "-v" or "--version":
                    return result with { Command = GatewayCommand.Version };
                default:
                    error = $"unknown option \"{arg}\"";
                    break;
            }

            error ??= valueError;
            if (error is not null)
            {
                return result;
            }
        }

        if (result.Command == GatewayCommand.Check && result.ConfigPath is null)
        {
            error = "check needs -c path/to/krakend.json";
        }
        else if (result.Command != GatewayCommand.Companion && (result.Storage is not null || result.InstanceId is not null))
        {
            error = "--storage and --instance-id belong to the companion command";
        }
        else if (result.Command == GatewayCommand.Companion && result.ConfigPath is not null)
        {
            error = "the companion takes no krakend.json";
        }

        return result;
    }
}
