using System.Net;
using FunctionApp.Hosting;

namespace FunctionApp.Gateway.Configuration.Tests;

/// <summary>The gateway's command line: <c>[run] [-c file] [-p port] [--listen-ip ip]</c> and <c>check -c file</c>.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public void Parse_NoArguments_RunsWithDefaults()
    {
        var result = CommandLine.Parse([], out var error);

        Assert.Null(error);
        Assert.Equal(GatewayCommand.Run, result.Command);
        Assert.Null(result.ConfigPath);
        Assert.Null(result.Port);
        Assert.Null(result.ListenIp);
    }

    [Fact]
    public void Parse_RunWithEveryOption_ReadsThemAll()
    {
        var result = CommandLine.Parse(["run", "-c", "krakend.json", "-p", "9000", "--listen-ip", "127.0.0.1"], out var error);

        Assert.Null(error);
        Assert.Equal(GatewayCommand.Run, result.Command);
        Assert.Equal("krakend.json", result.ConfigPath);
        Assert.Equal(9000, result.Port);
        Assert.Equal(IPAddress.Loopback, result.ListenIp);
    }

    [Fact]
    public void Parse_LongOptionsWithoutCommand_AreRead()
    {
        var result = CommandLine.Parse(["--config", "/etc/krakend.json", "--port", "0", "--listen-ip", "::1"], out var error);

        Assert.Null(error);
        Assert.Equal(GatewayCommand.Run, result.Command);
        Assert.Equal("/etc/krakend.json", result.ConfigPath);
        Assert.Equal(0, result.Port);
        Assert.Equal(IPAddress.IPv6Loopback, result.ListenIp);
    }

    [Fact]
    public void Parse_DebugFlag_IsAcceptedAndIgnored()
    {
        var result = CommandLine.Parse(["run", "-d", "--debug"], out var error);

        Assert.Null(error);
        Assert.Equal(GatewayCommand.Run, result.Command);
    }

    [Theory]
    [InlineData("-c")]
    [InlineData("--config")]
    public void Parse_CheckWithConfig_IsACheck(string option)
    {
        var result = CommandLine.Parse(["check", option, "krakend.json"], out var error);

        Assert.Null(error);
        Assert.Equal(GatewayCommand.Check, result.Command);
        Assert.Equal("krakend.json", result.ConfigPath);
    }

    [Fact]
    public void Parse_CheckWithoutConfig_ReportsThatItNeedsOne()
    {
        var result = CommandLine.Parse(["check"], out var error);

        Assert.Equal(GatewayCommand.Check, result.Command);
        Assert.Equal("check needs -c path/to/krakend.json", error);
    }

    [Fact]
    public void Parse_CheckWithOnlyAPort_ReportsThatItNeedsAConfig()
    {
        CommandLine.Parse(["check", "-p", "80"], out var error);

        Assert.Equal("check needs -c path/to/krakend.json", error);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("-x")]
    [InlineData("krakend.json")]
    public void Parse_UnknownOption_ReportsIt(string option)
    {
        CommandLine.Parse(["run", option], out var error);

        Assert.Equal($"unknown option \"{option}\"", error);
    }

    [Fact]
    public void Parse_UnknownCommand_ReportsIt()
    {
        CommandLine.Parse(["serve", "-c", "krakend.json"], out var error);

        Assert.Equal("unknown command \"serve\"", error);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("70000")]
    [InlineData("65536")]
    [InlineData("-1")]
    [InlineData("+80")]
    [InlineData(" 80")]
    [InlineData("8.0")]
    [InlineData("")]
    public void Parse_BadPort_ReportsIt(string port)
    {
        CommandLine.Parse(["-p", port], out var error);

        Assert.Equal($"invalid port \"{port}\"", error);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("65535", 65535)]
    [InlineData("8080", 8080)]
    public void Parse_PortInRange_IsRead(string port, int expected)
    {
        Assert.Equal(expected, CommandLine.Parse(["-p", port], out var error).Port);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("-c")]
    [InlineData("--config")]
    [InlineData("-p")]
    [InlineData("--port")]
    [InlineData("--listen-ip")]
    public void Parse_OptionWithoutValue_ReportsIt(string option)
    {
        CommandLine.Parse(["run", option], out var error);

        Assert.Equal($"{option} needs a value", error);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("256.0.0.1")]
    [InlineData("not-an-ip")]
    public void Parse_BadListenIp_ReportsIt(string ip)
    {
        CommandLine.Parse(["--listen-ip", ip], out var error);

        Assert.Equal($"invalid IP address \"{ip}\"", error);
    }

    [Theory]
    [InlineData("help")]
    [InlineData("-h")]
    [InlineData("--help")]
    public void Parse_HelpRequest_IsHelp(string arg)
    {
        var result = CommandLine.Parse([arg], out var error);

        Assert.Null(error);
        Assert.Equal(GatewayCommand.Help, result.Command);
    }

    [Theory]
    [InlineData("version")]
    [InlineData("-v")]
    [InlineData("--version")]
    public void Parse_VersionRequest_IsVersion(string arg)
    {
        var result = CommandLine.Parse([arg], out var error);

        Assert.Null(error);
        Assert.Equal(GatewayCommand.Version, result.Command);
    }

    [Fact]
    public void Parse_HelpAfterOtherOptions_StopsParsing()
    {
        var result = CommandLine.Parse(["-c", "k.json", "--help", "--bogus"], out var error);

        Assert.Null(error);
        Assert.Equal(GatewayCommand.Help, result.Command);
    }

    [Fact]
    public void Parse_CompanionWithStorageAndInstanceId_ReadsThem()
    {
        var result = CommandLine.Parse(["companion", "-p", "9191", "--storage", "UseDevelopmentStorage=true", "--instance-id", "c1"], out var error);

        Assert.Null(error);
        Assert.Equal(GatewayCommand.Companion, result.Command);
        Assert.Equal(9191, result.Port);
        Assert.Equal("UseDevelopmentStorage=true", result.Storage);
        Assert.Equal("c1", result.InstanceId);
    }

    [Theory]
    [InlineData("--storage", "x")]
    [InlineData("--instance-id", "x")]
    public void Parse_CompanionOptionsOnTheGateway_AreRefused(string option, string value)
    {
        CommandLine.Parse(["run", option, value], out var error);

        Assert.Equal("--storage and --instance-id belong to the companion command", error);
    }

    [Fact]
    public void Parse_CompanionWithConfig_IsRefused()
    {
        CommandLine.Parse(["companion", "-c", "krakend.json"], out var error);

        Assert.Equal("the companion takes no krakend.json", error);
    }
}
