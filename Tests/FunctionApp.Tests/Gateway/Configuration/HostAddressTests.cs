namespace FunctionApp.Gateway.Configuration.Tests;

/// <summary>Backend host sanitising, as KrakenD's <c>CleanHost</c>.</summary>
public sealed class HostAddressTests
{
    [Theory]
    [InlineData("example.com", "http://example.com")]
    [InlineData("example.com/", "http://example.com")]
    [InlineData("http://example.com", "http://example.com")]
    [InlineData("http://example.com/", "http://example.com")]
    [InlineData("https://example.com", "https://example.com")]
    [InlineData("https://showrss.info/", "https://showrss.info")]
    [InlineData("example.com:8080", "http://example.com:8080")]
    [InlineData("https://example.com:8443/", "https://example.com:8443")]
    [InlineData("10.0.0.1", "http://10.0.0.1")]
    [InlineData("127.0.0.1:80", "http://127.0.0.1:80")]
    [InlineData("[::1]:8080", "http://[::1]:8080")]
    [InlineData("http://[2001:db8::1]", "http://[2001:db8::1]")]
    [InlineData("backend_1.internal-svc", "http://backend_1.internal-svc")]
    [InlineData("localhost:65535", "http://localhost:65535")]
    [InlineData("example.com:8", "http://example.com:8")]
    public void TryParse_ValidHost_IsSanitised(string host, string expected)
    {
        Assert.True(HostAddress.TryParse(host, disableSanitize: false, out var baseUrl, out var error));
        Assert.Null(error);
        Assert.Equal(expected, baseUrl);
    }

    [Theory]
    [InlineData("http://example.com/api")]
    [InlineData("example.com/api")]
    [InlineData("http://example.com//")]
    [InlineData("ftp://example.com")]
    [InlineData("HTTP://example.com")]
    [InlineData("http:/example.com")]
    [InlineData("//example.com")]
    [InlineData("example.com:123456")]
    [InlineData("example.com:")]
    [InlineData("example.com:port")]
    [InlineData("example.com?x=1")]
    [InlineData("example.com#x")]
    [InlineData("user@example.com")]
    [InlineData("exa mple.com")]
    public void TryParse_MalformedHost_IsRejected(string host)
    {
        Assert.False(HostAddress.TryParse(host, disableSanitize: false, out _, out var error));
        Assert.Equal($"\"{host}\" is not a valid host: expected [http[s]://]name-or-ip[:port] with no path", error);
    }

    [Theory]
    [InlineData("example.com:99999")]
    [InlineData("example.com:65536")]
    [InlineData("example.com:00")]
    [InlineData("example.com:0")]
    public void TryParse_PortOutOfRange_IsRejected(string host)
    {
        Assert.False(HostAddress.TryParse(host, disableSanitize: false, out _, out var error));
        Assert.Equal($"\"{host}\" has an invalid port", error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void TryParse_Empty_IsRejected(string host)
    {
        Assert.False(HostAddress.TryParse(host, disableSanitize: false, out _, out var error));
        Assert.Equal("must not be empty", error);
    }

    [Theory]
    [InlineData("http://example.com/base/path/", "http://example.com/base/path")]
    [InlineData("https://example.com:8443/api", "https://example.com:8443/api")]
    public void TryParse_SanitizeDisabled_KeepsThePath(string host, string expected)
    {
        Assert.True(HostAddress.TryParse(host, disableSanitize: true, out var baseUrl, out _));
        Assert.Equal(expected, baseUrl);
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("ftp://example.com")]
    public void TryParse_SanitizeDisabledWithoutHttpScheme_IsRejected(string host)
    {
        Assert.False(HostAddress.TryParse(host, disableSanitize: true, out _, out var error));
        Assert.Equal($"\"{host}\" is not an absolute http:// or https:// URL", error);
    }
}
