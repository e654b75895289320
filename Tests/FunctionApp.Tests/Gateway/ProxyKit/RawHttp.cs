using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using TextEncoding = System.Text.Encoding;

namespace FunctionApp.Gateway.ProxyKit.Tests;

/// <summary>A response read off the wire by <see cref="RawHttp"/>.</summary>
public sealed record RawResponse(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public IEnumerable<string> Values(string name) =>
        Headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);

    public bool Has(string name) => Values(name).Any();

    public string BodyText => TextEncoding.UTF8.GetString(Body);
}

/// <summary>
/// HTTP/1.1 over a plain socket, for requests HttpClient would normalise (dot segments, escapes, hop-by-hop headers).
/// One request per connection.
/// </summary>
public static class RawHttp
{
    /// <summary>
    /// Sends <paramref name="head"/> (request line and headers, lines separated by CRLF, no final blank line) and an
    /// optional body, and reads one response: by its Content-Length, its chunks, or to the end of the stream.
    /// </summary>
    public static async Task<RawResponse> SendAsync(int port, string head, byte[]? body = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(TextEncoding.Latin1.GetBytes(head + "\r\n\r\n"), timeout.Token);
        if (body is not null)
        {
            await stream.WriteAsync(body, timeout.Token);
        }

        using var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            received.Write(buffer, 0, read);
            if (IsComplete(received.GetBuffer().AsSpan(0, (int)received.Length)))
            {
                break;
            }
        }

        return Parse(received.ToArray());
    }

    private static bool IsComplete(ReadOnlySpan<byte> data)
    {
        var end = data.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return false;
        }

        var head = TextEncoding.Latin1.GetString(data[..end]);
        var body = data[(end + 4)..];
        foreach (var line in head.Split("\r\n").Skip(1))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return body.Length >= int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }

            if (line.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase))
            {
                return body.EndsWith("0\r\n\r\n"u8);
            }
        }

        // No framing: a status without a body, or a body delimited by the end of the stream.
        var status = head.Split(' ')[1];
        return status is "204" or "304" || status.StartsWith('1');
    }

    public static RawResponse Parse(byte[] data)
    {
        var end = data.AsSpan().IndexOf("\r\n\r\n"u8);
        Assert.True(end >= 0, "no end of headers in the response");
        var lines = TextEncoding.Latin1.GetString(data, 0, end).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }

        var body = data.AsSpan(end + 4);
        var chunked = headers.Any(h => h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
            && h.Value.Contains("chunked", StringComparison.OrdinalIgnoreCase));
        return new RawResponse(status, headers, chunked ? Dechunk(body) : body.ToArray());
    }

    private static byte[] Dechunk(ReadOnlySpan<byte> body)
    {
        using var output = new MemoryStream();
        while (true)
        {
            var lineEnd = body.IndexOf("\r\n"u8);
            var size = Convert.ToInt32(TextEncoding.ASCII.GetString(body[..lineEnd]).Split(';')[0], 16);
            body = body[(lineEnd + 2)..];
            if (size == 0)
            {
                return output.ToArray();
            }

            output.Write(body[..size]);
            body = body[(size + 2)..];
        }
    }

    /// <summary>A loopback port with nothing listening on it.</summary>
    public static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>
/// A backend that answers every connection with the same bytes and closes it, so a test controls exactly which
/// headers (hop-by-hop ones included) the gateway receives.
/// </summary>
public sealed class RawHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly byte[] _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private RawHttpServer(byte[] response)
    {
        _response = response;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _loop = AcceptLoopAsync();
    }

    public ConcurrentQueue<string> RequestHeads { get; } = new();

    public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Starts a server answering with <paramref name="head"/> (status line and headers, CRLF-separated) and <paramref name="body"/>.</summary>
    public static RawHttpServer Start(string head, string body) =>
        new(TextEncoding.UTF8.GetBytes(head + "\r\n\r\n" + body));

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = new MemoryStream();
                var buffer = new byte[4096];
                while (head.ToArray().AsSpan().IndexOf("\r\n\r\n"u8) < 0)
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    head.Write(buffer, 0, read);
                }

                RequestHeads.Enqueue(TextEncoding.Latin1.GetString(head.ToArray()));
                await stream.WriteAsync(_response, _stop.Token);
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
