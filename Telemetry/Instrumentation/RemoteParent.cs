using System.Diagnostics;

namespace Telemetry.Instrumentation;

/// <summary>
/// The trace context extracted from the incoming request when the global span itself is off (§5.8: "if global traces
/// are off, the remote context still flows to the proxy/backend spans"). .NET can only make a context current through
/// an <see cref="Activity"/>, so the layers below read it from here when <see cref="Activity.Current"/> is null.
/// </summary>
public static class RemoteParent
{
    private static readonly AsyncLocal<ActivityContext> CurrentContext = new();

    public static ActivityContext Current
    {
        get => CurrentContext.Value;
        internal set => CurrentContext.Value = value;
    }

    /// <summary>The parent for a new span: the current activity's context if there is one, else the remote parent.</summary>
    public static ActivityContext ForNewSpan() => Activity.Current is { } current ? current.Context : CurrentContext.Value;
}
