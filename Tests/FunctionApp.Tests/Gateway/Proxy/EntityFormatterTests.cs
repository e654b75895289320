using System.Buffers;
using System.Text.Json.Nodes;
using FunctionApp.Gateway.Encoding;
using TextEncoding = System.Text.Encoding;

namespace FunctionApp.Gateway.Proxy.Tests;

/// <summary>
/// Per-backend response manipulation as Lura's <c>proxy/formatter.go</c>: target, then allow or deny, then mapping,
/// then group; a flatmap_filter takes the place of allow, deny and mapping.
/// </summary>
public sealed class EntityFormatterTests
{
    private static string Render(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        JsonRenderer.Write(buffer, node);
        return TextEncoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Format(EntityFormatter? formatter, string json)
    {
        Assert.NotNull(formatter);
        return Render(formatter.Format(JsonNode.Parse(json)!.AsObject()));
    }

    private static string[] List(string csv) => csv.Split(',');

    [Fact]
    public void Create_NothingToDo_ReturnsNull()
    {
        Assert.Null(EntityFormatter.Create(null, null, null, null, null, null));
        Assert.Null(EntityFormatter.Create("", [], [], new Dictionary<string, string>(), "", []));
    }

    [Fact]
    public void Create_AnySetting_ReturnsAFormatter()
    {
        Assert.NotNull(EntityFormatter.Create("a", null, null, null, null, null));
        Assert.NotNull(EntityFormatter.Create(null, ["a"], null, null, null, null));
        Assert.NotNull(EntityFormatter.Create(null, null, ["a"], null, null, null));
        Assert.NotNull(EntityFormatter.Create(null, null, null, new Dictionary<string, string> { ["a"] = "b" }, null, null));
        Assert.NotNull(EntityFormatter.Create(null, null, null, null, "g", null));
        Assert.NotNull(EntityFormatter.Create(null, null, null, null, null, [new FlatmapOperation(FlatmapOperationType.Del, [["a"]])]));
    }

    [Theory]
    [InlineData("data", """{"data":{"a":1},"x":2}""", """{"a":1}""")]
    [InlineData("data.inner", """{"data":{"inner":{"a":1},"b":2}}""", """{"a":1}""")]
    [InlineData("missing", """{"data":{"a":1}}""", "{}")]
    [InlineData("data.missing", """{"data":{"a":1}}""", "{}")]
    [InlineData("data", """{"data":[{"a":1}]}""", "{}")]
    [InlineData("data", """{"data":"text"}""", "{}")]
    [InlineData("data", """{"data":null}""", "{}")]
    [InlineData("data.a", """{"data":{"a":1}}""", "{}")]
    public void Format_Target_KeepsTheObjectAtThePath(string target, string input, string expected) =>
        Assert.Equal(expected, Format(EntityFormatter.Create(target, null, null, null, null, null), input));

    [Theory]
    [InlineData("a,c", """{"a":1,"b":2,"c":3}""", """{"a":1,"c":3}""")]
    [InlineData("a.b", """{"a":{"b":1,"c":2},"d":3}""", """{"a":{"b":1}}""")]
    [InlineData("a.b.c", """{"a":{"b":{"c":[1],"d":2},"e":3}}""", """{"a":{"b":{"c":[1]}}}""")]
    [InlineData("a.b,d", """{"a":{"b":null,"c":2},"d":{"x":1}}""", """{"a":{"b":null},"d":{"x":1}}""")]
    [InlineData("a.b", """{"a":[{"b":1}],"d":3}""", "{}")]
    [InlineData("a.b", """{"a":{"c":2},"d":3}""", "{}")]
    [InlineData("a.b", """{"a":{},"d":3}""", "{}")]
    [InlineData("a.b", """{"a":"text"}""", "{}")]
    [InlineData("missing", """{"a":1}""", "{}")]
    [InlineData("a,a.b", """{"a":{"b":1,"c":2}}""", """{"a":{"b":1}}""")]
    [InlineData("a.b,a", """{"a":{"b":1,"c":2}}""", """{"a":{"b":1,"c":2}}""")]
    public void Format_Allow_KeepsOnlyTheListedPaths(string allow, string input, string expected) =>
        Assert.Equal(expected, Format(EntityFormatter.Create(null, List(allow), null, null, null, null), input));

    [Theory]
    [InlineData("b", """{"a":1,"b":2}""", """{"a":1}""")]
    [InlineData("a.b", """{"a":{"b":1,"c":2}}""", """{"a":{"c":2}}""")]
    [InlineData("a.b", """{"a":{"b":1}}""", """{"a":{}}""")]
    [InlineData("a.b.c", """{"a":{"b":{"c":1,"d":2}}}""", """{"a":{"b":{"d":2}}}""")]
    [InlineData("a.b", """{"a":[{"b":1}]}""", """{"a":[{"b":1}]}""")]
    [InlineData("a.b", """{"a":"text"}""", """{"a":"text"}""")]
    [InlineData("a.b,a", """{"a":{"b":1,"c":2},"d":3}""", """{"d":3}""")]
    [InlineData("a,a.b", """{"a":{"b":1,"c":2},"d":3}""", """{"d":3}""")]
    [InlineData("a.b,a.c", """{"a":{"b":1,"c":2,"d":3}}""", """{"a":{"d":3}}""")]
    [InlineData("missing.x,y", """{"a":1}""", """{"a":1}""")]
    [InlineData("a", """{"a":null,"b":1}""", """{"b":1}""")]
    public void Format_Deny_DeletesTheListedPaths(string deny, string input, string expected) =>
        Assert.Equal(expected, Format(EntityFormatter.Create(null, null, List(deny), null, null, null), input));

    [Fact]
    public void Format_AllowAndDeny_OnlyAllowApplies() =>
        Assert.Equal(
            """{"a":1}""",
            Format(EntityFormatter.Create(null, ["a"], ["a"], null, null, null), """{"a":1,"b":2}"""));

    [Theory]
    [InlineData("a", "b", """{"a":1,"c":2}""", """{"b":1,"c":2}""")]
    [InlineData("a", "x.y", """{"a":1}""", """{"x":1}""")]
    [InlineData("missing", "z", """{"a":1}""", """{"a":1}""")]
    [InlineData("a", "c", """{"a":1,"c":2}""", """{"c":1}""")]
    [InlineData("a.b", "z", """{"a":{"b":1}}""", """{"a":{"b":1}}""")]
    [InlineData("a.b", "z", """{"a.b":1}""", """{"z":1}""")]
    [InlineData("a", "a", """{"a":1,"b":2}""", """{"b":2}""")]
    [InlineData("a", "a.b", """{"a":1,"b":2}""", """{"b":2}""")]
    public void Format_Mapping_RenamesTopLevelKeys(string from, string to, string input, string expected) =>
        Assert.Equal(expected, Format(EntityFormatter.Create(null, null, null, new Dictionary<string, string> { [from] = to }, null, null), input));

    [Fact]
    public void Format_Mapping_RenamesSeveralKeys() =>
        Assert.Equal(
            """{"id":1,"name":"n","x":true}""",
            Format(EntityFormatter.Create(null, null, null, new Dictionary<string, string> { ["user_id"] = "id", ["full_name"] = "name" }, null, null), """{"user_id":1,"full_name":"n","x":true}"""));

    [Theory]
    [InlineData("""{"a":1}""", """{"g":{"a":1}}""")]
    [InlineData("{}", """{"g":{}}""")]
    public void Format_Group_WrapsTheData(string input, string expected) =>
        Assert.Equal(expected, Format(EntityFormatter.Create(null, null, null, null, "g", null), input));

    [Fact]
    public void Format_MissingTargetAndGroup_GroupsAnEmptyObject() =>
        Assert.Equal("""{"g":{}}""", Format(EntityFormatter.Create("missing", null, null, null, "g", null), """{"a":1}"""));

    [Fact]
    public void Format_EverySetting_RunsTargetAllowMappingGroupInOrder() =>
        Assert.Equal(
            """{"g":{"b":{"c":2},"x":1}}""",
            Format(
                EntityFormatter.Create("data", ["a", "b.c"], null, new Dictionary<string, string> { ["a"] = "x" }, "g", null),
                """{"data":{"a":1,"b":{"c":2,"d":3},"e":4},"f":5}"""));

    [Fact]
    public void Format_AllowThenMapping_AllowSeesTheOriginalNames() =>
        Assert.Equal(
            "{}",
            Format(EntityFormatter.Create(null, ["x"], null, new Dictionary<string, string> { ["a"] = "x" }, null, null), """{"a":1}"""));

    [Fact]
    public void Format_DenyThenMapping_BothApply() =>
        Assert.Equal(
            """{"b":{"keep":1}}""",
            Format(EntityFormatter.Create(null, null, ["a.secret", "c"], new Dictionary<string, string> { ["a"] = "b" }, null, null), """{"a":{"secret":1,"keep":1},"c":2}"""));

    [Fact]
    public void Format_Flatmap_ReplacesAllowDenyAndMapping() =>
        Assert.Equal(
            """{"g":{"b":2,"c":1}}""",
            Format(
                EntityFormatter.Create(
                    "data",
                    ["zzz"],
                    ["b"],
                    new Dictionary<string, string> { ["b"] = "y" },
                    "g",
                    [new FlatmapOperation(FlatmapOperationType.Move, [["a"], ["c"]])]),
                """{"data":{"a":1,"b":2}}"""));

    [Fact]
    public void Format_FlatmapOnCollections_WorksAfterTarget() =>
        Assert.Equal(
            """{"users":[{"name":"a"},{"name":"b"}]}""",
            Format(
                EntityFormatter.Create(
                    "data",
                    null,
                    null,
                    null,
                    null,
                    [
                        new FlatmapOperation(FlatmapOperationType.Del, [["users", "*", "password"]]),
                        new FlatmapOperation(FlatmapOperationType.Move, [["users", "*", "login"], ["users", "*", "name"]]),
                    ]),
                """{"data":{"users":[{"login":"a","password":"x"},{"login":"b","password":"y"}]},"meta":1}"""));

    [Fact]
    public void Format_EmptyFlatmapList_UsesAllowDenyAndMapping() =>
        Assert.Equal(
            """{"a":1}""",
            Format(EntityFormatter.Create(null, ["a"], null, null, null, []), """{"a":1,"b":2}"""));

    [Fact]
    public void Format_TargetWithoutGroup_ReturnsADetachedObject()
    {
        var formatter = EntityFormatter.Create("data", null, null, null, null, null);
        var result = formatter!.Format(JsonNode.Parse("""{"data":{"a":1}}""")!.AsObject());

        Assert.Null(result.Parent);
        Assert.Equal("""{"a":1}""", Render(new JsonObject { ["wrapped"] = result }["wrapped"]));
    }
}
