using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FunctionApp.Gateway.Encoding;

/// <summary>
/// KrakenD's output encodings (<c>lura:router/gin/render.go</c>, plus <c>krakend-xml</c>): renders the response
/// data into a body and returns the Content-Type that goes with it.
/// <list type="bullet">
/// <item><c>json</c>, <c>fast-json</c> and unknown names: the data as Go's <c>encoding/json</c> writes it, <c>{}</c>
/// when there is none.</item>
/// <item><c>json-collection</c>: the value under <c>collection</c> as the top-level value, <c>[]</c> when the key is
/// missing.</item>
/// <item><c>string</c>: the string under <c>content</c> as text; an empty body when it is missing or not a
/// string.</item>
/// <item><c>yaml</c>: see <see cref="YamlWriter"/>.</item>
/// <item><c>xml</c>: see <see cref="XmlRenderer"/>.</item>
/// <item><c>negotiate</c>: JSON, YAML or XML by the Accept header, see <see cref="AcceptNegotiator"/>.</item>
/// </list>
/// <c>no-op</c> streams the backend response unchanged and is not rendered here.
/// </summary>
public static class OutputRenderer
{
    public const string TextContentType = "text/plain; charset=utf-8";
    public const string XmlContentType = XmlRenderer.ContentType;

    /// <summary>
    /// True when <paramref name="outputEncoding"/> renders the data object as JSON whatever the request says
    /// (<c>json</c>, <c>fast-json</c> and unknown names), with <see cref="JsonRenderer.ContentType"/>.
    /// </summary>
    public static bool IsPlainJson(string outputEncoding) =>
        outputEncoding is not ("no-op" or "json-collection" or "string" or "yaml" or "xml" or "negotiate");

    public static string Render(string outputEncoding, JsonObject? data, string? acceptHeader, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(outputEncoding);
        ArgumentNullException.ThrowIfNull(output);
        switch (outputEncoding)
        {
            case "no-op":
                throw new ArgumentException("no-op responses are streamed, not rendered", nameof(outputEncoding));
            case "json-collection":
                return RenderCollection(data, output);
            case "string":
                return RenderString(data, output);
            case "yaml":
                return RenderYaml(data, output);
            case "xml":
                return RenderXml(data, output);
            case "negotiate":
                return AcceptNegotiator.Select(acceptHeader) switch
                {
                    NegotiatedFormat.Yaml => RenderYaml(data, output),
                    NegotiatedFormat.Xml => RenderXml(data, output),
                    _ => RenderJson(data, output),
                };
            default:
                return RenderJson(data, output);
        }
    }

    private static string RenderJson(JsonObject? data, IBufferWriter<byte> output)
    {
        if (data is null)
        {
            output.Write("{}"u8);
        }
        else
        {
            JsonRenderer.Write(output, data);
        }

        return JsonRenderer.ContentType;
    }

    /// <summary>Whatever sits under <c>collection</c> is rendered as it is, as KrakenD does; only a missing key gives <c>[]</c>.</summary>
    private static string RenderCollection(JsonObject? data, IBufferWriter<byte> output)
    {
        if (data is not null && data.TryGetPropertyValue(ResponseDecoder.CollectionKey, out var collection))
        {
            JsonRenderer.Write(output, collection);
        }
        else
        {
            output.Write("[]"u8);
        }

        return JsonRenderer.ContentType;
    }

    /// <summary>KrakenD writes <c>content</c> only when it is a string; any other value gives an empty body.</summary>
    private static string RenderString(JsonObject? data, IBufferWriter<byte> output)
    {
        if (data is not null
            && data.TryGetPropertyValue(ResponseDecoder.ContentKey, out var content)
            && content is JsonValue value
            && value.GetValueKind() == JsonValueKind.String)
        {
            Utf8Output.WriteText(output, value.GetValue<string>());
        }

        return TextContentType;
    }

    private static string RenderYaml(JsonObject? data, IBufferWriter<byte> output)
    {
        if (data is null)
        {
            output.Write("{}\n"u8);
        }
        else
        {
            YamlWriter.Write(output, data);
        }

        return YamlWriter.ContentType;
    }

    private static string RenderXml(JsonObject? data, IBufferWriter<byte> output)
    {
        XmlRenderer.Write(output, data);
        return XmlRenderer.ContentType;
    }
}
