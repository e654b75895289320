using System.Buffers;
using System.Text.Json.Nodes;
using FunctionApp.Gateway.Encoding;
using TextEncoding = System.Text.Encoding;

namespace FunctionApp.Gateway.Proxy.Tests;

/// <summary>
/// The flatmap operations, checked against krakend/flatmap's own tree tests (<c>tree/tree_test.go</c>, the cases named
/// in the comments) and the library's quirks: emptied containers become null, indexes stay the original positions.
/// </summary>
public sealed class FlatmapTests
{
    private static string Render(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        JsonRenderer.Write(buffer, node);
        return TextEncoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static FlatmapOperation Op(FlatmapOperationType type, params string[] args) =>
        new(type, [.. args.Select(arg => arg.Split('.'))]);

    private static string Apply(string json, params FlatmapOperation[] operations)
    {
        var data = JsonNode.Parse(json)!.AsObject();
        Flatmap.Apply(data, operations);
        return Render(data);
    }

    [Theory]
    // unknown
    [InlineData("abc", """{"supu":42,"tupu":false}""", """{"supu":42,"tupu":false}""")]
    // plain
    [InlineData("supu", """{"supu":42,"tupu":false}""", """{"tupu":false}""")]
    // element_in_struct
    [InlineData("internal.supu", """{"internal":{"supu":42,"tupu":false},"tupu":false}""", """{"internal":{"tupu":false},"tupu":false}""")]
    // element_in_struct_with_wildcard: * matches object properties too
    [InlineData("a.*.supu", """{"a":{"first":{"supu":42,"tupu":false},"last":{"supu":42,"tupu":false}},"tupu":false}""", """{"a":{"first":{"tupu":false},"last":{"tupu":false}},"tupu":false}""")]
    // struct
    [InlineData("internal", """{"internal":{"supu":42,"tupu":false},"tupu":false}""", """{"tupu":false}""")]
    // element_in_substruct
    [InlineData("internal.internal.supu", """{"internal":{"supu":42,"tupu":false,"internal":{"supu":42,"tupu":false}},"tupu":false}""", """{"internal":{"internal":{"tupu":false},"supu":42,"tupu":false},"tupu":false}""")]
    // similar_names
    [InlineData("a.a.a", """{"a":{"a":{"a":{"a":1},"aa":1},"aa":1},"tupu":false}""", """{"a":{"a":{"aa":1},"aa":1},"tupu":false}""")]
    // collection_element_attributes
    [InlineData("a.*.a", """{"a":[{"a":{"a":{"a":1},"aa":1},"aa":1},{"a":42,"aa":1}],"tupu":false}""", """{"a":[{"aa":1},{"aa":1}],"tupu":false}""")]
    // nested_collection_element_attributes
    [InlineData("a.*.b.*.c", """{"a":[{"b":[{"c":{"a":1},"aa":1},{"c":{"a":2},"aa":1}],"aa":1},{"b":[{"c":{"a":1},"aa":1}],"aa":1}],"tupu":false}""", """{"a":[{"aa":1,"b":[{"aa":1},{"aa":1}]},{"aa":1,"b":[{"aa":1}]}],"tupu":false}""")]
    [InlineData("a.*.secret", """{"a":[{"id":1,"secret":"x"},{"id":2}],"b":{"secret":"y"}}""", """{"a":[{"id":1},{"id":2}],"b":{"secret":"y"}}""")]
    [InlineData("items.0", """{"items":[1,2,3]}""", """{"items":[2,3]}""")]
    [InlineData("items.1.secret", """{"items":[{"secret":1,"x":1},{"secret":2,"x":2}]}""", """{"items":[{"secret":1,"x":1},{"x":2}]}""")]
    [InlineData("items.3", """{"items":[1,2,3]}""", """{"items":[1,2,3]}""")]
    [InlineData("a.b", """{"a":5}""", """{"a":5}""")]
    [InlineData("a.b", """{"a":[{"b":1}]}""", """{"a":[{"b":1}]}""")]
    [InlineData("a.b", """{"a":{}}""", """{"a":{}}""")]
    [InlineData("a.*", """{"a":[]}""", """{"a":[]}""")]
    public void Del_Path_DeletesWhatMatches(string path, string input, string expected) =>
        Assert.Equal(expected, Apply(input, Op(FlatmapOperationType.Del, path)));

    [Theory]
    [InlineData("a.b", """{"a":{"b":1}}""", """{"a":null}""")]
    [InlineData("a.*", """{"a":[1,2]}""", """{"a":null}""")]
    [InlineData("a.*", """{"a":{"x":1,"y":2}}""", """{"a":null}""")]
    [InlineData("a.*.id", """{"a":[{"id":1},{"id":2,"n":2}]}""", """{"a":[null,{"n":2}]}""")]
    public void Del_LastChild_LeavesNullAsTheLibrary(string path, string input, string expected) =>
        Assert.Equal(expected, Apply(input, Op(FlatmapOperationType.Del, path)));

    [Fact]
    public void Del_SeveralArguments_DeletesEach() =>
        Assert.Equal(
            """{"c":3}""",
            Apply("""{"a":1,"b":{"x":1},"c":3}""", Op(FlatmapOperationType.Del, "a", "b")));

    [Fact]
    public void Del_IndexesAfterAnEarlierDelete_NameTheOriginalPositions() =>
        Assert.Equal(
            """{"items":["c"]}""",
            Apply("""{"items":["a","b","c"]}""", Op(FlatmapOperationType.Del, "items.0", "items.1")));

    [Fact]
    public void Del_EveryTopLevelKey_LeavesAnEmptyObject() =>
        Assert.Equal("{}", Apply("""{"a":1,"b":2}""", Op(FlatmapOperationType.Del, "a", "b")));

    [Theory]
    // plain
    [InlineData("a", "b", """{"a":42}""", """{"b":42}""")]
    // in_struct
    [InlineData("b.a", "b.c", """{"a":1,"b":{"a":42}}""", """{"a":1,"b":{"c":42}}""")]
    // in_struct_depth
    [InlineData("b.a", "b.b.a.b.a.b.c", """{"a":1,"b":{"a":42}}""", """{"a":1,"b":{"b":{"a":{"b":{"a":{"b":{"c":42}}}}}}}""")]
    // from_struct: the emptied parent becomes null
    [InlineData("b.a", "c", """{"a":1,"b":{"a":42}}""", """{"a":1,"b":null,"c":42}""")]
    // from_struct_with_wildcard
    [InlineData("b.*.c", "b.*.x", """{"c":42,"b":{"first":{"c":{"d":42}},"last":{"m":42,"c":{"d":42}}}}""", """{"b":{"first":{"x":{"d":42}},"last":{"m":42,"x":{"d":42}}},"c":42}""")]
    // from_struct_with_wildcard_deep
    [InlineData("b.*.c", "b.*.c.b.x", """{"c":42,"b":{"first":{"c":{"d":42}},"last":{"m":42,"c":{"d":42}}}}""", """{"b":{"first":{"c":{"b":{"x":{"d":42}}}},"last":{"c":{"b":{"x":{"d":42}}},"m":42}},"c":42}""")]
    // from_collection
    [InlineData("b.*.c", "b.*.x", """{"a":42,"b":[{"c":42},{"c":{"d":42}}]}""", """{"a":42,"b":[{"x":42},{"x":{"d":42}}]}""")]
    // from_struct_nested
    [InlineData("b.b", "c", """{"a":42,"b":{"a":42,"bb":true,"b":{"a":42}}}""", """{"a":42,"b":{"a":42,"bb":true},"c":{"a":42}}""")]
    // collection
    [InlineData("a.*.b", "a.*.c", """{"a":[{"b":[{"c":{"a":1},"aa":1},{"c":{"a":2},"aa":1}],"aa":1},{"b":[{"c":{"a":1},"aa":1}],"aa":1}],"tupu":false}""", """{"a":[{"aa":1,"c":[{"aa":1,"c":{"a":1}},{"aa":1,"c":{"a":2}}]},{"aa":1,"c":[{"aa":1,"c":{"a":1}}]}],"tupu":false}""")]
    // recursive_collection
    [InlineData("a.*.b.*.c", "a.*.b.*.x", """{"a":[{"b":[{"c":{"a":1},"aa":1},{"c":{"a":2},"aa":1}],"aa":1},{"b":[{"c":{"a":1},"aa":1}],"aa":1}],"tupu":false}""", """{"a":[{"aa":1,"b":[{"aa":1,"x":{"a":1}},{"aa":1,"x":{"a":2}}]},{"aa":1,"b":[{"aa":1,"x":{"a":1}}]}],"tupu":false}""")]
    public void Move_LibraryCases_MatchTheLibrary(string from, string to, string input, string expected) =>
        Assert.Equal(expected, Apply(input, Op(FlatmapOperationType.Move, from, to)));

    [Theory]
    [InlineData("a", "b", """{"x":1}""", """{"x":1}""")]
    [InlineData("a.b", "c", """{"a":{"b":{"n":1},"k":2}}""", """{"a":{"k":2},"c":{"n":1}}""")]
    [InlineData("a", "b.c", """{"a":1,"b":{"d":2}}""", """{"b":{"c":1,"d":2}}""")]
    [InlineData("a", "a.b", """{"a":1}""", """{"a":{"b":1}}""")]
    [InlineData("items.0", "first", """{"items":[{"id":1},{"id":2}]}""", """{"first":{"id":1},"items":[{"id":2}]}""")]
    [InlineData("a.*.b.c", "a.*.c", """{"a":[{"b":{"c":1,"z":0}},{"b":{"c":2}}]}""", """{"a":[{"b":{"z":0},"c":1},{"b":null,"c":2}]}""")]
    public void Move_RelocatesTheValue(string from, string to, string input, string expected) =>
        Assert.Equal(expected, Apply(input, Op(FlatmapOperationType.Move, from, to)));

    [Fact]
    public void Move_OntoAnExistingKey_ReplacesIt() =>
        Assert.Equal("""{"b":1}""", Apply("""{"a":1,"b":2}""", Op(FlatmapOperationType.Move, "a", "b")));

    [Fact]
    public void Move_PathsOfEqualLength_OnlyRenamesTheLastSegmentInPlace() =>
        Assert.Equal(
            """{"a":{"c":1}}""",
            Apply("""{"a":{"b":1}}""", Op(FlatmapOperationType.Move, "a.b", "x.c")));

    [Fact]
    public void Move_ToAShorterPathThatIsMissing_AttachesAtTheDeepestNodeFound() =>
        Assert.Equal(
            """{"a":{"b":{"d":2}},"y":1}""",
            Apply("""{"a":{"b":{"c":1,"d":2}}}""", Op(FlatmapOperationType.Move, "a.b.c", "x.y")));

    [Fact]
    public void Move_ToALongerPath_KeepsTheSourceParent() =>
        Assert.Equal(
            """{"a":{"y":{"z":1}}}""",
            Apply("""{"a":{"b":1}}""", Op(FlatmapOperationType.Move, "a.b", "x.y.z")));

    [Fact]
    public void Move_IndexAfterAnEarlierDelete_NamesTheOriginalPosition() =>
        Assert.Equal(
            """{"items":[3],"second":2}""",
            Apply("""{"items":[1,2,3]}""", Op(FlatmapOperationType.Del, "items.0"), Op(FlatmapOperationType.Move, "items.1", "second")));

    [Theory]
    [InlineData("""{"a":[1,2],"b":[3]}""", """{"b":[3,1,2]}""")]
    [InlineData("""{"a":[{"x":1}],"b":[{"y":2}]}""", """{"b":[{"y":2},{"x":1}]}""")]
    [InlineData("""{"a":[1],"b":[]}""", """{"b":[1]}""")]
    [InlineData("""{"a":[],"b":[1]}""", """{"b":[1]}""")]
    [InlineData("""{"a":[[1,2]],"b":[[0]]}""", """{"b":[[0],[1,2]]}""")]
    public void Append_TwoArrays_AppendsAndRemovesTheSource(string input, string expected) =>
        Assert.Equal(expected, Apply(input, Op(FlatmapOperationType.Append, "a", "b")));

    [Theory]
    [InlineData("""{"a":1,"b":[3]}""")]
    [InlineData("""{"a":{"x":1},"b":[3]}""")]
    [InlineData("""{"a":[1],"b":{"x":1}}""")]
    [InlineData("""{"a":[1],"b":2}""")]
    [InlineData("""{"a":[1]}""")]
    [InlineData("""{"b":[1]}""")]
    public void Append_SourceOrDestinationNotAnArray_ChangesNothing(string input) =>
        Assert.Equal(Render(JsonNode.Parse(input)), Apply(input, Op(FlatmapOperationType.Append, "a", "b")));

    [Fact]
    public void Append_WildcardSource_AppendsEachMatchAndDeletesThem() =>
        Assert.Equal(
            """{"ids":[0,1,2],"items":[null,{"n":2}]}""",
            Apply("""{"items":[{"id":1},{"id":2,"n":2}],"ids":[0]}""", Op(FlatmapOperationType.Append, "items.*.id", "ids")));

    [Fact]
    public void Append_NestedPaths_AppendsInsideTheTree() =>
        Assert.Equal(
            """{"x":{"list":[1,2,3]},"y":{"k":true}}""",
            Apply("""{"x":{"list":[1]},"y":{"more":[2,3],"k":true}}""", Op(FlatmapOperationType.Append, "y.more", "x.list")));

    [Fact]
    public void Apply_SeveralOperations_RunInOrder() =>
        Assert.Equal(
            """{"people":[{"name":"a"},{"name":"b"}],"total":2}""",
            Apply(
                """{"data":{"users":[{"full_name":"a","password":"x"},{"full_name":"b","password":"y"}],"count":2}}""",
                Op(FlatmapOperationType.Move, "data.users", "people"),
                Op(FlatmapOperationType.Move, "data.count", "total"),
                Op(FlatmapOperationType.Del, "people.*.password", "data"),
                Op(FlatmapOperationType.Move, "people.*.full_name", "people.*.name")));

    [Fact]
    public void Apply_UntouchedValues_KeepTheirLiteralText() =>
        Assert.Equal(
            """{"a":{"big":12345678901234567890,"n":1.50},"c":"\u003c"}""",
            Apply("""{"a":{"n":1.50,"big":12345678901234567890},"b":1,"c":"<"}""", Op(FlatmapOperationType.Del, "b")));

    [Fact]
    public void Apply_NoOperationMatches_LeavesTheSameObject()
    {
        var data = JsonNode.Parse("""{"a":{"b":[1,2]},"c":null}""")!.AsObject();

        Flatmap.Apply(data, [Op(FlatmapOperationType.Del, "x.y"), Op(FlatmapOperationType.Move, "q", "r")]);

        Assert.Equal("""{"a":{"b":[1,2]},"c":null}""", Render(data));
    }

    [Fact]
    public void Apply_EmptyObject_StaysEmpty() =>
        Assert.Equal("{}", Apply("{}", Op(FlatmapOperationType.Del, "a"), Op(FlatmapOperationType.Append, "a", "b")));

    [Fact]
    public void Apply_NoOperations_ChangesNothing() =>
        Assert.Equal("""{"a":1}""", Apply("""{"a":1}"""));
}
