using System.Diagnostics;
using OpenTelemetry;

namespace Telemetry.Functions;

/// <summary>
/// Puts the Azure Functions context (<c>faas.invocation_id</c>, <c>faas.trigger</c>) on every span started while an
/// invocation is being served, so any span (proxy, backend, backend request) can be tied to the host's invocation.
/// </summary>
internal sealed class InvocationSpanProcessor : BaseProcessor<Activity>
{
    public override void OnStart(Activity data) => FunctionsSpanAttributes.Add(data, FunctionsInvocation.Current);
}
