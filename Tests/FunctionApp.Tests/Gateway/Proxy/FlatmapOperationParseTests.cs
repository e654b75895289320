using System.Text.Json;
using FunctionApp.Gateway.Configuration;

namespace FunctionApp.Gateway.Proxy.Tests;

/// <summary>Validation of <c>proxy.flatmap_filter</c>: every problem is reported with its JSON path.</summary>
public sealed class FlatmapOperationParseTests
{
    private const string Path = "endpoints[0].backend[1].extra_config.proxy.flatmap_filter";

    private static (IReadOnlyList<FlatmapOperation>? Operations, List<ConfigProblem> Problems) Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var problems = new List<ConfigProblem>();
        var operations = FlatmapOperation.TryParse(document.RootElement, Path, problems);
        return (operations, problems);
    }

    [Fact]
    public void TryParse_ValidOperations_ReturnsThemWithSplitPaths()
    {
        var (operations, problems) = Parse("""
            [
              {"type": "move", "args": ["a.*.b", "c"]},
              {"type": "del", "args": ["x", "items.0.secret"]},
              {"type": "append", "args": ["p", "q.r"]}
            ]
            """);

        Assert.Empty(problems);
        Assert.NotNull(operations);
        Assert.Collection(
            operations,
            move =>
            {
                Assert.Equal(FlatmapOperationType.Move, move.Type);
                Assert.Equal([["a", "*", "b"], ["c"]], move.Args);
            },
            del =>
            {
                Assert.Equal(FlatmapOperationType.Del, del.Type);
                Assert.Equal([["x"], ["items", "0", "secret"]], del.Args);
            },
            append =>
            {
                Assert.Equal(FlatmapOperationType.Append, append.Type);
                Assert.Equal([["p"], ["q", "r"]], append.Args);
            });
    }

    [Fact]
    public void TryParse_EmptyArray_ReturnsNoOperations()
    {
        var (operations, problems) = Parse("[]");

        Assert.Empty(problems);
        Assert.NotNull(operations);
        Assert.Empty(operations);
    }

    [Fact]
    public void TryParse_CommentKeys_AreIgnored()
    {
        var (operations, problems) = Parse("""[{"type": "del", "args": ["a"], "@comment": "x", "$id": 1, "_note": 2, "#tag": 3}]""");

        Assert.Empty(problems);
        Assert.Single(operations!);
    }

    [Fact]
    public void TryParse_DelWithManyArguments_IsValid()
    {
        var (operations, problems) = Parse("""[{"type": "del", "args": ["a", "b", "c", "d"]}]""");

        Assert.Empty(problems);
        Assert.Equal(4, Assert.Single(operations!).Args.Length);
    }

    [Theory]
    [InlineData("{}", Path + ": must be an array of operations")]
    [InlineData("null", Path + ": must be an array of operations")]
    [InlineData("[1]", Path + "[0]: must be an object with type and args")]
    [InlineData("""[{"args": ["a"]}]""", Path + "[0].type: is required (move, del or append)")]
    [InlineData("""[{"type": 1, "args": ["a"]}]""", Path + "[0].type: must be a string: move, del or append")]
    [InlineData("""[{"type": "copy", "args": ["a", "b"]}]""", Path + "[0].type: \"copy\" is not a flatmap operation (move, del or append)")]
    [InlineData("""[{"type": "Move", "args": ["a", "b"]}]""", Path + "[0].type: \"Move\" is not a flatmap operation (move, del or append)")]
    [InlineData("""[{"type": "del"}]""", Path + "[0].args: is required")]
    [InlineData("""[{"type": "del", "args": "a"}]""", Path + "[0].args: must be an array of strings")]
    [InlineData("""[{"type": "del", "args": ["a", 2]}]""", Path + "[0].args[1]: must be a string")]
    [InlineData("""[{"type": "move", "args": ["a"]}]""", Path + "[0].args: move takes 2 arguments")]
    [InlineData("""[{"type": "move", "args": ["a", "b", "c"]}]""", Path + "[0].args: move takes 2 arguments")]
    [InlineData("""[{"type": "append", "args": ["a"]}]""", Path + "[0].args: append takes 2 arguments")]
    [InlineData("""[{"type": "del", "args": []}]""", Path + "[0].args: del takes at least 1 argument")]
    [InlineData("""[{"type": "del", "args": ["a"], "extra": true}]""", Path + "[0].extra: is not a flatmap operation property (type, args)")]
    public void TryParse_InvalidFilter_ReportsTheProblemAndReturnsNull(string json, string problem)
    {
        var (operations, problems) = Parse(json);

        Assert.Null(operations);
        Assert.Equal([problem], problems.Select(p => p.ToString()));
    }

    [Fact]
    public void TryParse_SeveralBadOperations_ReportsEveryProblem()
    {
        var (operations, problems) = Parse("""
            [
              {"type": "del", "args": ["ok"]},
              {"type": "move", "args": ["a", 1]},
              {"type": "move", "args": ["only"]},
              {"typ": "del", "args": ["x"]}
            ]
            """);

        Assert.Null(operations);
        Assert.Equal(
            [
                Path + "[1].args[1]: must be a string",
                Path + "[2].args: move takes 2 arguments",
                Path + "[3].typ: is not a flatmap operation property (type, args)",
                Path + "[3].type: is required (move, del or append)",
            ],
            problems.Select(p => p.ToString()));
    }

    [Fact]
    public void TryParse_ExistingProblems_AreKeptAndDoNotFailTheParse()
    {
        using var document = JsonDocument.Parse("""[{"type": "del", "args": ["a"]}]""");
        var problems = new List<ConfigProblem> { new("version", "earlier problem") };

        var operations = FlatmapOperation.TryParse(document.RootElement, Path, problems);

        Assert.NotNull(operations);
        Assert.Single(problems);
    }
}
