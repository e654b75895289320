namespace Telemetry.Functions;

/// <summary>
/// The Azure Functions invocation a request belongs to. The host's proxy adds the invocation id to every request it
/// forwards to a custom handler; spans and flushes are keyed by it (<c>faas.invocation_id</c>).
/// </summary>
public sealed class FunctionsInvocation
{
    /// <summary>Set by the Functions host on every forwarded invocation (both forwarding and proxying).</summary>
    public const string InvocationIdHeader = "X-Azure-Functions-InvocationId";

    /// <summary>Set (overwritten) by the host in proxying mode, with the same value.</summary>
    public const string ProxyInvocationIdHeader = "x-ms-invocation-id";

    public FunctionsInvocation(string invocationId)
    {
        ArgumentException.ThrowIfNullOrEmpty(invocationId);
        InvocationId = invocationId;
    }

    public string InvocationId { get; }

    /// <summary>
    /// The invocation the current request belongs to, for the spans started while serving it
    /// (<see cref="InvocationSpanProcessor"/>). Set by the gateway when it reads the host's header.
    /// </summary>
    public static FunctionsInvocation? Current
    {
        get => CurrentInvocation.Value;
        set => CurrentInvocation.Value = value;
    }

    private static readonly AsyncLocal<FunctionsInvocation?> CurrentInvocation = new();

    /// <summary>Picks the invocation id from the host's headers, preferring the one the proxy overwrites.</summary>
    public static string? SelectInvocationId(string? proxyInvocationId, string? invocationId)
    {
        if (!string.IsNullOrWhiteSpace(proxyInvocationId))
        {
            return proxyInvocationId.Trim();
        }

        return string.IsNullOrWhiteSpace(invocationId) ? null : invocationId.Trim();
    }
}
