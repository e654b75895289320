using System.Runtime.CompilerServices;
using Telemetry.Layers.Stage;

namespace FunctionApp.Gateway.Observability;

/// <summary>
/// Runs a pipe inside a <see cref="StageTelemetry"/> (KrakenD's proxy and backend middlewares, §4.3–§5.4) and turns the
/// gateway's <see cref="ProxyResponse"/> into the stage's <c>error</c> / <c>canceled</c> / <c>complete</c> outcome.
/// </summary>
internal static class StageTelemetryMiddleware
{
    public static ProxyDelegate Create(StageTelemetry stage, ProxyDelegate next) => new Pipe(stage, next).InvokeAsync;

    internal static StageOutcome Outcome(ProxyResponse response, CancellationToken cancellationToken)
    {
        var canceled = response.Error is { Kind: GatewayErrorKind.ClientCanceled } || cancellationToken.IsCancellationRequested;
        var error = response.Error is { Kind: not GatewayErrorKind.ClientCanceled };
        var complete = response.Error is null && (response.IsComplete || response.Upstream is not null);
        var status = response.Upstream is { } upstream ? (int)upstream.StatusCode
            : response.HasData ? StatusCodes.Status200OK
            : 0;
        return new StageOutcome(error, canceled, complete, status, response.Error?.Message);
    }

    private sealed class Pipe(StageTelemetry stage, ProxyDelegate next)
    {
        /// <summary>Pooled state machine: a stage is crossed by every request, and it awaits its pipe every time.</summary>
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public async ValueTask<ProxyResponse> InvokeAsync(ProxyRequest request, CancellationToken cancellationToken)
        {
            var scope = stage.Start(request.Headers);
            ProxyResponse response;
            try
            {
                response = await next(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                var canceled = e is OperationCanceledException && cancellationToken.IsCancellationRequested;
                stage.Stop(scope, new StageOutcome(!canceled, canceled, false, 0, e.Message));
                throw;
            }

            stage.Stop(scope, Outcome(response, cancellationToken), response.Upstream?.Headers);
            return response;
        }
    }
}
