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
}

/// <summary>A failure, returned as a value through the proxy layers.</summary>
public sealed record GatewayError(GatewayErrorKind Kind, string Message, int? BackendStatus = null)
{
    public override string ToString() => Message;
}
