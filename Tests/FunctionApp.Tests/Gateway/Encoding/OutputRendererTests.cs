using System.Buffers;
using System.Text.Json.Nodes;
using TextEncoding = System.Text.Encoding;

namespace FunctionApp.Gateway.Encoding.Tests;

/// <summary>
/// KrakenD's output encodings: the body and Content-Type for json, json-collection, string, yaml, xml and
/// negotiate, from the same data.
/// </summary>
public sealed class OutputRendererTests
{
    private const string JsonType = "application/json; charset=utf-8";
    private const string YamlType = "application/yaml; charset=utf-8";
    private const string XmlType = "application/xml";
    private const string TextType = "text/plain; charset=utf-8";

    private static JsonObject? Data(string? json) => json is null ? null : JsonNode.Parse(json)!.AsObject();

    private static (string ContentType, string Body) Render(string encoding, string? json, string? accept = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var contentType = OutputRenderer.Render(encoding, Data(json), accept, buffer);
        return (contentType, TextEncoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Theory]
    [InlineData("json")]
    [InlineData("fast-json")]
    [InlineData("unknown")]
    [InlineData("JSON")]
    public void Render_JsonOrUnknown_WritesGoJson(string encoding) =>
        Assert.Equal(
            (JsonType, """{"a":1.0,"b":"\u003cx\u003e","c":[true,null]}"""),
            Render(encoding, """{"c":[true,null],"b":"<x>","a":1.0}"""));

    [Fact]
    public void Render_JsonWithoutData_WritesAnEmptyObject() =>
        Assert.Equal((JsonType, "{}"), Render("json", null));

    [Theory]
    [InlineData("""{"collection":[{"b":1,"a":2},3]}""", """[{"a":2,"b":1},3]""")]
    [InlineData("""{"collection":[]}""", "[]")]
    [InlineData("""{"other":1}""", "[]")]
    [InlineData(null, "[]")]
    [InlineData("""{"collection":{"a":1}}""", """{"a":1}""")]
    [InlineData("""{"collection":null}""", "null")]
    public void Render_JsonCollection_WritesTheCollectionValue(string? json, string expected) =>
        Assert.Equal((JsonType, expected), Render("json-collection", json));

    [Theory]
    [InlineData("""{"content":"héllo <b>\n"}""", "héllo <b>\n")]
    [InlineData("""{"content":""}""", "")]
    [InlineData("""{"content":42}""", "")]
    [InlineData("""{"content":{"a":1}}""", "")]
    [InlineData("""{"other":"x"}""", "")]
    [InlineData(null, "")]
    public void Render_String_WritesStringContentOnly(string? json, string expected) =>
        Assert.Equal((TextType, expected), Render("string", json));

    [Theory]
    [InlineData("""{"b":{"d":[1,2]},"a":"x"}""", "a: x\nb:\n  d:\n  - 1\n  - 2\n")]
    [InlineData("{}", "{}\n")]
    [InlineData(null, "{}\n")]
    public void Render_Yaml_WritesYaml(string? json, string expected) =>
        Assert.Equal((YamlType, expected), Render("yaml", json));

    [Theory]
    [InlineData(
        """{"a":{"content":"supu & tupu"},"content":"tupu","foo":42}""",
        "<doc><a><content>supu &amp; tupu</content></a><content>tupu</content><foo>42</foo></doc>")]
    [InlineData("""{"user":{"name":"ann","id":7}}""", "<user><id>7</id><name>ann</name></user>")]
    [InlineData("""{"key":"value"}""", "<key>value</key>")]
    [InlineData("""{"n":1.50,"t":true,"f":false}""", "<doc><f>false</f><n>1.50</n><t>true</t></doc>")]
    [InlineData("""{"a":null,"b":"","c":{},"d":"x"}""", "<doc><a/><b/><c/><d>x</d></doc>")]
    [InlineData("""{"a":[1,"two",{"x":3}],"b":[]}""", "<doc><a>1</a><a>two</a><a><x>3</x></a></doc>")]
    [InlineData("""{"list":[1,2]}""", "<doc><list>1</list><list>2</list></doc>")]
    [InlineData("""{"item":[{"id":1},{"id":2}]}""", "<item><id>1</id></item><item><id>2</id></item>")]
    [InlineData("""{"s":"<a href='x'>\"&\"</a>"}""", "<s>&lt;a href=&apos;x&apos;&gt;&quot;&amp;&quot;&lt;/a&gt;</s>")]
    [InlineData("""{"doc":{"-id":"a&b","-n":2,"#text":"t<"}}""", "<doc id=\"a&amp;b\" n=\"2\">t&lt;</doc>")]
    [InlineData("""{"e":{"-id":"1"},"f":{"-id":"2","child":"c"}}""", "<doc><e id=\"1\"/><f id=\"2\"><child>c</child></f></doc>")]
    [InlineData("""{"z":1,"a":{"é":1,"b":2}}""", "<doc><a><b>2</b><é>1</é></a><z>1</z></doc>")]
    [InlineData("{}", "<doc/>")]
    [InlineData(null, "<doc/>")]
    [InlineData("""{"a":{"-bad":null}}""", "")]
    [InlineData("""{"a":1,"b":[{"-bad":{}}]}""", "")]
    public void Render_Xml_WritesMxjStyleXml(string? json, string expected) =>
        Assert.Equal((XmlType, expected), Render("xml", json));

    [Theory]
    [InlineData(null, JsonType)]
    [InlineData("", JsonType)]
    [InlineData("application/json", JsonType)]
    [InlineData("*/*", JsonType)]
    [InlineData("application/*", JsonType)]
    [InlineData("text/html", JsonType)]
    [InlineData("image/png, foo", JsonType)]
    [InlineData("application/yaml", YamlType)]
    [InlineData("application/x-yaml", YamlType)]
    [InlineData("text/yaml", YamlType)]
    [InlineData("text/plain", YamlType)]
    [InlineData("TEXT/PLAIN; charset=utf-8", YamlType)]
    [InlineData("text/*", YamlType)]
    [InlineData("application/xml", XmlType)]
    [InlineData("text/xml", XmlType)]
    [InlineData("application/xml;q=0.5, application/json;q=0.9", JsonType)]
    [InlineData("text/plain;q=0.9, application/xml", XmlType)]
    [InlineData("application/xml, application/json", XmlType)]
    [InlineData("application/json, application/xml", JsonType)]
    [InlineData("application/json;q=0, text/plain;q=0.1", YamlType)]
    [InlineData("application/xml;q=0", JsonType)]
    [InlineData("text/plain; q=0.8; level=1, */*;q=0.8", YamlType)]
    [InlineData("application/yaml;q=bogus, application/json;q=0.9", YamlType)]
    [InlineData("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", XmlType)]
    public void Render_Negotiate_PicksByAccept(string? accept, string expectedType)
    {
        var (contentType, body) = Render("negotiate", """{"a":1}""", accept);

        Assert.Equal(expectedType, contentType);
        Assert.Equal(
            expectedType switch
            {
                YamlType => "a: 1\n",
                XmlType => "<a>1</a>",
                _ => """{"a":1}""",
            },
            body);
    }

    [Fact]
    public void Render_NoOp_Throws() =>
        Assert.Throws<ArgumentException>(() => Render("no-op", "{}"));

    [Fact]
    public void Render_DecodedNumbers_KeepTheirLiteralInEveryFormat()
    {
        const string Json = """{"num":[1.0,1e3,12345678901234567890]}""";

        Assert.Equal(Json, Render("json", Json).Body);
        Assert.Equal("num:\n- 1.0\n- 1e3\n- 12345678901234567890\n", Render("yaml", Json).Body);
        Assert.Equal("<doc><num>1.0</num><num>1e3</num><num>12345678901234567890</num></doc>", Render("xml", Json).Body);
    }
}
