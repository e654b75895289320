namespace FunctionApp.Gateway;

/// <summary>Why a backend call failed.</summary>
public enum GatewayErrorKind
{
    /// <summary>The endpoint's timeout elapsed.</summary>
    Timeout,

    /// <summary>The backend could not be reached or broke the connection.</summary>
    Network,

    /// <summary>The backend answered with a status other than 200/201.</summary>
    InvalidStatus,

    /// <summary>The backend's body could not be decoded with the configured encoding.</summary>
    Decode,

    /// <summary>The client went away; nothing is sent back.</summary>
    ClientCanceled,

    /// <summary>The request cannot be sent to the backend safely (a parameter that would be a dot segment).</summary>
    InvalidRequest,

    /// <summary>The backend's circuit breaker is open: the call failed fast without reaching it.</summary>
    CircuitOpen,
}

/// <summary>A failure, returned as a value through the proxy layers.</summary>
public sealed record GatewayError(GatewayErrorKind Kind, string Message, int? BackendStatus = null)
{
    /// <summary>
    /// <c>backend/http.return_error_code</c>: the client gets <see cref="BackendStatus"/> instead of 500 (single
    /// backend only), and with <c>router.return_error_msg</c> the backend's body as <see cref="Body"/>.
    /// </summary>
    public bool ReturnStatusToClient { get; init; }

    public string? Body { get; init; }

    public string? BodyContentType { get; init; }

    /// <summary>Several backends failed: their errors joined by a newline, as KrakenD does.</summary>
    public static GatewayError Combine(IReadOnlyList<GatewayError> errors) =>
        errors.Count == 1 ? errors[0] with { ReturnStatusToClient = false } : new GatewayError(errors[0].Kind, string.Join('\n', errors.Select(e => e.Message)));

    public override string ToString() => Message;
}
