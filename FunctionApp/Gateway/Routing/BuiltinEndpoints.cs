using System.Buffers;
using System.Text.Json;

namespace FunctionApp.Gateway.Routing;

/// <summary>KrakenD's built-in endpoints: <c>/__health</c>, <c>/__debug/*</c> and <c>/__echo/*</c>.</summary>
public static class BuiltinEndpoints
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = Encoding.GoJsonEncoder.Instance };

    /// <summary><c>{"agents":{},"now":"…","status":"ok"}</c>, as KrakenD's health endpoint.</summary>
    public static Task HealthAsync(HttpContext context, TimeProvider timeProvider)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("agents");
            writer.WriteEndObject();
            writer.WriteString("now", timeProvider.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("status", "ok");
            writer.WriteEndObject();
        }

        return WriteJsonAsync(context, buffer);
    }

    /// <summary><c>/__debug/*</c> answers any method with <c>{"message":"pong"}</c>.</summary>
    public static Task DebugAsync(HttpContext context)
    {
        var buffer = new ArrayBufferWriter<byte>(32);
        buffer.Write("{\"message\":\"pong\"}"u8);
        return WriteJsonAsync(context, buffer);
    }

    /// <summary><c>/__echo/*</c> describes the request it received, with KrakenD's field names.</summary>
    public static async Task EchoAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            var query = request.QueryString.HasValue ? request.QueryString.Value![1..] : string.Empty;
            writer.WriteStartObject();
            writer.WriteString("req_uri", request.Path.ToUriComponent() + request.QueryString.ToUriComponent());
            writer.WriteStartObject("req_uri_details");
            writer.WriteString("fragment", string.Empty);
            writer.WriteString("host", request.Host.Value ?? string.Empty);
            writer.WriteString("path", request.Path.Value ?? "/");
            writer.WriteString("query", query);
            writer.WriteString("scheme", string.Empty);
            writer.WriteString("user", string.Empty);
            writer.WriteEndObject();
            writer.WriteString("req_method", request.Method);
            writer.WriteStartObject("req_querystring");
            foreach (var (key, values) in request.Query.OrderBy(static q => q.Key, StringComparer.Ordinal))
            {
                WriteValues(writer, key, values);
            }

            writer.WriteEndObject();
            writer.WriteString("req_body", body);
            writer.WriteStartObject("req_headers");
            foreach (var (name, values) in request.Headers.OrderBy(static h => h.Key, StringComparer.OrdinalIgnoreCase))
            {
                WriteValues(writer, name, values);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        await WriteJsonAsync(context, buffer).ConfigureAwait(false);
    }

    private static void WriteValues(Utf8JsonWriter writer, string name, Microsoft.Extensions.Primitives.StringValues values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static Task WriteJsonAsync(HttpContext context, ArrayBufferWriter<byte> buffer)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = Encoding.JsonRenderer.ContentType;
        response.ContentLength = buffer.WrittenCount;
        return response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).AsTask();
    }

    internal static bool IsUnder(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/');

}
