using System.Buffers;
using System.Text.Json.Nodes;
using TextEncoding = System.Text.Encoding;

namespace FunctionApp.Gateway.Encoding.Tests;

/// <summary>
/// The YAML emitter: block layout with 2-space indentation, sorted keys, literal numbers, and plain or
/// double-quoted strings. No YAML parser is available here, so every case asserts the exact text.
/// </summary>
public sealed class YamlWriterTests
{
    private static string Yaml(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        YamlWriter.Write(buffer, node);
        return TextEncoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Yaml(string json) => Yaml(JsonNode.Parse(json));

    /// <summary>The text a string value gets, without the surrounding <c>k: </c> and newline.</summary>
    private static string Scalar(string value)
    {
        var yaml = Yaml(new JsonObject { ["k"] = value });
        Assert.StartsWith("k: ", yaml, StringComparison.Ordinal);
        Assert.EndsWith("\n", yaml, StringComparison.Ordinal);
        return yaml[3..^1];
    }

    [Fact]
    public void Write_RepresentativeDocument_IsBlockYaml()
    {
        const string Json = """
            {
              "name": "gateway", "version": "1.2.3", "port": 8080, "ratio": 1.0, "big": 12345678901234567890,
              "enabled": true, "nothing": null, "empty_obj": {}, "empty_arr": [],
              "tags": ["a", "b c"],
              "nested": {"b": {"c": "d"}, "a": -1.5e-3},
              "items": [{"id": 1, "tags": ["x"]}, {"sub": {"k": "v"}, "id": 2}, "plain", [], {}],
              "matrix": [[1, 2], [[3]], [{"deep": {"er": true}}]]
            }
            """;

        Assert.Equal(
            """
            big: 12345678901234567890
            empty_arr: []
            empty_obj: {}
            enabled: true
            items:
            - id: 1
              tags:
              - x
            - id: 2
              sub:
                k: v
            - plain
            - []
            - {}
            matrix:
            - - 1
              - 2
            - - - 3
            - - deep:
                  er: true
            name: gateway
            nested:
              a: -1.5e-3
              b:
                c: d
            nothing: null
            port: 8080
            ratio: 1.0
            tags:
            - a
            - b c
            version: "1.2.3"

            """.ReplaceLineEndings("\n"),
            Yaml(Json));
    }

    [Fact]
    public void Write_RepresentativeDocument_HasOneLinePerLeafAtItsDepth()
    {
        var lines = Yaml("""{"a":{"b":{"c":[{"d":"e","f":[1]}]}}}""").Split('\n');

        Assert.Equal(["a:", "  b:", "    c:", "    - d: e", "      f:", "      - 1", string.Empty], lines);
    }

    [Theory]
    [InlineData("{}", "{}\n")]
    [InlineData("[]", "[]\n")]
    [InlineData("null", "null\n")]
    [InlineData("\"text\"", "text\n")]
    [InlineData("1e3", "1e3\n")]
    [InlineData("[1,\"a\",null,false]", "- 1\n- a\n- null\n- false\n")]
    [InlineData("[{},[],{\"a\":[]}]", "- {}\n- []\n- a: []\n")]
    [InlineData("{\"a\":{\"b\":{}}}", "a:\n  b: {}\n")]
    public void Write_TopLevelAndEmptyValues_UseFlowForEmpties(string json, string expected) =>
        Assert.Equal(expected, Yaml(json));

    [Fact]
    public void Write_Keys_AreInCodePointOrder() =>
        Assert.Equal(
            "B: 1\na: 2\nb: 3\né: 4\n\uFFFD: 5\n😀: 6\n",
            Yaml("""{"😀":6,"\uFFFD":5,"é":4,"b":3,"a":2,"B":1}"""));

    [Fact]
    public void Write_KeysNeedingQuotes_AreQuoted() =>
        Assert.Equal(
            "\"\": 1\n\"1\": 2\n\"a: b\": 3\nplain: 5\n\"true\": 4\n",
            Yaml("""{"plain":5,"true":4,"a: b":3,"1":2,"":1}"""));

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("two words", "two words")]
    [InlineData("a#b", "a#b")]
    [InlineData("a,b", "a,b")]
    [InlineData("a:b", "a:b")]
    [InlineData("http://example.com/x?a=b#c", "http://example.com/x?a=b#c")]
    [InlineData("say \"hi\"", "say \"hi\"")]
    [InlineData("q\"b\\s", "q\"b\\s")]
    [InlineData("back\\slash", "back\\slash")]
    [InlineData("héllo 😀 日本", "héllo 😀 日本")]
    [InlineData("no-dash-start", "no-dash-start")]
    [InlineData("", "\"\"")]
    [InlineData(" lead", "\" lead\"")]
    [InlineData("trail ", "\"trail \"")]
    [InlineData("true", "\"true\"")]
    [InlineData("False", "\"False\"")]
    [InlineData("NULL", "\"NULL\"")]
    [InlineData("~", "\"~\"")]
    [InlineData("yes", "\"yes\"")]
    [InlineData("No", "\"No\"")]
    [InlineData("on", "\"on\"")]
    [InlineData("OFF", "\"OFF\"")]
    [InlineData("y", "\"y\"")]
    [InlineData("n", "\"n\"")]
    [InlineData("<<", "\"<<\"")]
    [InlineData("123", "\"123\"")]
    [InlineData("-1", "\"-1\"")]
    [InlineData("+1", "\"+1\"")]
    [InlineData(".5", "\".5\"")]
    [InlineData("1e3", "\"1e3\"")]
    [InlineData("0x1F", "\"0x1F\"")]
    [InlineData(".inf", "\".inf\"")]
    [InlineData("-.INF", "\"-.INF\"")]
    [InlineData(".NaN", "\".NaN\"")]
    [InlineData("2024-01-01", "\"2024-01-01\"")]
    [InlineData("...", "\"...\"")]
    [InlineData("-dash", "\"-dash\"")]
    [InlineData("---", "\"---\"")]
    [InlineData("? q", "\"? q\"")]
    [InlineData(":colon", "\":colon\"")]
    [InlineData("key:", "\"key:\"")]
    [InlineData("a: b", "\"a: b\"")]
    [InlineData("a #b", "\"a #b\"")]
    [InlineData("[x", "\"[x\"")]
    [InlineData("]x", "\"]x\"")]
    [InlineData("{x", "\"{x\"")]
    [InlineData("}x", "\"}x\"")]
    [InlineData(",x", "\",x\"")]
    [InlineData("#x", "\"#x\"")]
    [InlineData("&anchor", "\"&anchor\"")]
    [InlineData("*alias", "\"*alias\"")]
    [InlineData("!tag", "\"!tag\"")]
    [InlineData("|x", "\"|x\"")]
    [InlineData(">x", "\">x\"")]
    [InlineData("'x'", "\"'x'\"")]
    [InlineData("\"x\"", "\"\\\"x\\\"\"")]
    [InlineData("%x", "\"%x\"")]
    [InlineData("@x", "\"@x\"")]
    [InlineData("`x", "\"`x\"")]
    public void Write_String_IsPlainOnlyWhenUnambiguous(string value, string expected) =>
        Assert.Equal(expected, Scalar(value));

    [Theory]
    [InlineData("line\nbreak", "\"line\\nbreak\"")]
    [InlineData("tab\there", "\"tab\\there\"")]
    [InlineData("cr\r", "\"cr\\r\"")]
    [InlineData("q\"b\\s\n", "\"q\\\"b\\\\s\\n\"")]
    [InlineData("nul\0", "\"nul\\0\"")]
    [InlineData("bell\a", "\"bell\\a\"")]
    [InlineData("esc\u001B", "\"esc\\e\"")]
    [InlineData("x\u0001", "\"x\\x01\"")]
    [InlineData("del\u007F", "\"del\\x7F\"")]
    [InlineData("nel\u0085", "\"nel\\N\"")]
    [InlineData("c1\u0090", "\"c1\\x90\"")]
    [InlineData("ls\u2028ps\u2029", "\"ls\\Lps\\P\"")]
    [InlineData("\uFEFFbom", "\"\\uFEFFbom\"")]
    [InlineData("multi\nline 😀", "\"multi\\nline 😀\"")]
    public void Write_StringWithControlCharacters_IsEscaped(string value, string expected) =>
        Assert.Equal(expected, Scalar(value));

    [Fact]
    public void Write_LoneSurrogate_IsEscaped() =>
        Assert.Equal("\"a\\uD800b\"", Scalar("a\uD800b"));

    [Fact]
    public void Write_NonBackendValues_UseTheirJsonText() =>
        Assert.Equal(
            "b: true\ni: 42\ns: text\n",
            Yaml(new JsonObject { ["s"] = "text", ["i"] = 42, ["b"] = true }));
}
