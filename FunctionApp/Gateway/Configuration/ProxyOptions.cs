using System.Text.Json.Nodes;

namespace FunctionApp.Gateway.Configuration;

/// <summary>When <c>proxy.static</c> data is added to a response (Lura's <c>proxy/static.go</c>).</summary>
public enum StaticStrategy
{
    Always,
    Success,
    Errored,
    Complete,
    Incomplete,
}

/// <summary><c>extra_config.proxy.static</c> of an endpoint.</summary>
public sealed record StaticResponseOptions(StaticStrategy Strategy, JsonObject Data);

/// <summary>
/// <c>extra_config["qos/circuit-breaker"]</c> of a backend: when more than <see cref="MaxErrors"/> calls in a row fail
/// (the count restarts every <see cref="Interval"/>), the circuit opens for <see cref="Timeout"/>; then one probe
/// call decides whether it closes again.
/// </summary>
public sealed record CircuitBreakerOptions(TimeSpan Interval, TimeSpan Timeout, int MaxErrors, bool LogStatusChange, string? Name);

/// <summary><c>extra_config["backend/http"]</c> of a backend: how non-200/201 answers reach the client.</summary>
public sealed record BackendErrorOptions(bool ReturnErrorCode, string? ReturnErrorDetails);
