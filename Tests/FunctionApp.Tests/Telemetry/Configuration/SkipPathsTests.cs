namespace Telemetry.Configuration.Tests;

/// <summary>Reference §5.9 and §2.10: literal paths and <c>/foo/{bar}</c> patterns, at every layer.</summary>
public sealed class SkipPathsTests
{
    [Fact]
    public void Default_IsKrakenDsFourPaths()
    {
        Assert.Equal(["/__health", "/__debug/", "/__echo/", "/__stats/"], SkipPaths.Default.Paths);
    }

    [Theory]
    [InlineData("/__health", true)]
    [InlineData("/__debug/", true)]
    [InlineData("/__echo/", true)]
    [InlineData("/__stats/", true)]
    [InlineData("/__health/", false)]
    [InlineData("/__HEALTH", false)]
    [InlineData("/__debug", false)]
    [InlineData("/__debug/x", false)]
    [InlineData("/", false)]
    [InlineData("", false)]
    public void Default_MatchesExactly(string path, bool skipped)
    {
        Assert.Equal(skipped, SkipPaths.Default.Matches(path));
    }

    [Theory]
    // literal request paths (global layer)
    [InlineData("/foo/{bar}", "/foo/123", true)]
    [InlineData("/foo/{bar}", "/foo/abc", true)]
    [InlineData("/foo/{bar}", "/foo", false)]
    [InlineData("/foo/{bar}", "/foo/", false)]
    [InlineData("/foo/{bar}", "/foo/1/2", false)]
    [InlineData("/foo/{bar}", "/bar/1", false)]
    [InlineData("/foo/{bar}", "/Foo/1", false)]
    // endpoint patterns in either form (endpoint, proxy, backend layers)
    [InlineData("/foo/{bar}", "/foo/{bar}", true)]
    [InlineData("/foo/{bar}", "/foo/:bar", true)]
    [InlineData("/foo/{bar}", "/foo/{id}", true)]
    [InlineData("/foo/:bar", "/foo/{bar}", true)]
    [InlineData("/foo/:bar", "/foo/123", true)]
    [InlineData("/a/{b}/c/{d}", "/a/1/c/2", true)]
    [InlineData("/a/{b}/c/{d}", "/a/:b/c/:d", true)]
    [InlineData("/a/{b}/c/{d}", "/a/1/x/2", false)]
    [InlineData("/a/{b}/c", "/a/1/c/", false)]
    // literal entries match only the identical string
    [InlineData("/foo/123", "/foo/123", true)]
    [InlineData("/foo/123", "/foo/{bar}", false)]
    [InlineData("/foo/123", "/foo/:bar", false)]
    [InlineData("/users", "/users", true)]
    [InlineData("/users", "/users/", false)]
    // "{}" and ":" alone are not parameters
    [InlineData("/x/{}", "/x/{}", true)]
    [InlineData("/x/{}", "/x/1", false)]
    [InlineData("/x/:", "/x/1", false)]
    public void Matches_LiteralsAndPatterns(string entry, string candidate, bool skipped)
    {
        Assert.Equal(skipped, new SkipPaths([entry]).Matches(candidate));
    }

    [Fact]
    public void Matches_AnyEntry()
    {
        var skip = new SkipPaths(["/a", "/b/{c}", "/d/:e/f"]);

        Assert.True(skip.Matches("/a"));
        Assert.True(skip.Matches("/b/1"));
        Assert.True(skip.Matches("/d/2/f"));
        Assert.False(skip.Matches("/d/2/g"));
        Assert.Equal(["/a", "/b/{c}", "/d/:e/f"], skip.Paths);
    }

    [Fact]
    public void None_SkipsNothing()
    {
        Assert.False(SkipPaths.None.Matches("/__health"));
        Assert.False(SkipPaths.None.Matches("/"));
    }
}
