using System.Text;

namespace Bench.Companion;

/// <summary>
/// The incremental pushes a gateway sends after one request (<c>CompanionPushExporter</c> pushes only the series that
/// changed since the last acknowledged push, plus a full refresh every 5 minutes), derived from the captured full push
/// by re-encoding it with only the data points of one endpoint: a point is kept when its
/// <c>krakend.endpoint.route</c> is the endpoint or, for the points without one (server and proxy layers), when its
/// <c>http.route</c> is. One push per endpoint the full push has (the <c>http.route</c> values of
/// <c>http.server.duration</c>); metrics left without points are dropped. Everything else (resource, scope, metric
/// descriptors, point fields) is copied byte for byte.
/// </summary>
internal static class IncrementalPush
{
    private const string EndpointRouteKey = "krakend.endpoint.route";
    private const string RouteKey = "http.route";

    private enum Level
    {
        Request,
        ResourceMetrics,
        ScopeMetrics,
        Metric,
        PointContainer,
    }

    /// <summary>One incremental push per endpoint of the full push, with the endpoint's route.</summary>
    public static List<(string Endpoint, byte[] Body)> PerEndpoint(byte[] fullPush)
    {
        var endpoints = new SortedSet<string>(StringComparer.Ordinal);
        Collect(fullPush, endpoints);
        var pushes = new List<(string, byte[])>();
        foreach (var endpoint in endpoints)
        {
            var body = Rewrite(fullPush, Level.Request, 0, endpoint) ?? throw new InvalidDataException($"no point of endpoint {endpoint}");
            pushes.Add((endpoint, body));
        }

        return pushes;
    }

    /// <summary>The routes of the server layer's points (<c>http.server.duration</c>).</summary>
    private static void Collect(byte[] fullPush, SortedSet<string> endpoints)
    {
        var request = Telemetry.Aggregation.Otlp.OtlpMetricsDecoder.DecodeProtobuf(fullPush).Request
            ?? throw new InvalidDataException("the captured push does not decode");
        foreach (var metric in request.ResourceMetrics.SelectMany(static r => r.ScopeMetrics).SelectMany(static s => s.Metrics))
        {
            if (metric.Name != "http.server.duration")
            {
                continue;
            }

            foreach (var point in metric.HistogramPoints)
            {
                if (point.Attributes.FirstOrDefault(static a => a.Key == RouteKey) is { Key: not null } route)
                {
                    endpoints.Add(route.Value);
                }
            }
        }
    }

    /// <summary>The message with the points of other endpoints left out; null when nothing of it is left.</summary>
    private static byte[]? Rewrite(ReadOnlySpan<byte> message, Level level, int pointAttributeField, string endpoint)
    {
        using var output = new MemoryStream();
        var position = 0;
        var kept = false;
        while (position < message.Length)
        {
            var fieldStart = position;
            var tag = ReadVarint(message, ref position);
            var field = (int)(tag >> 3);
            var wireType = (int)(tag & 7);
            switch (wireType)
            {
                case 0:
                    ReadVarint(message, ref position);
                    break;
                case 1:
                    position += 8;
                    break;
                case 5:
                    position += 4;
                    break;
                case 2:
                    var length = (int)ReadVarint(message, ref position);
                    var payload = message.Slice(position, length);
                    position += length;
                    var child = (level, field) switch
                    {
                        (Level.Request, 1) => Level.ResourceMetrics,
                        (Level.ResourceMetrics, 2) => Level.ScopeMetrics,
                        (Level.ScopeMetrics, 2) => Level.Metric,
                        (Level.Metric, 5 or 7 or 9) => Level.PointContainer,
                        _ => (Level?)null,
                    };
                    if (child is { } next)
                    {
                        var rewritten = Rewrite(payload, next, field == 9 ? 9 : 7, endpoint);
                        if (rewritten is null)
                        {
                            continue;
                        }

                        WriteVarint(output, tag);
                        WriteVarint(output, (ulong)rewritten.Length);
                        output.Write(rewritten);
                        kept = true;
                        continue;
                    }

                    if (level == Level.PointContainer && field == 1)
                    {
                        if (!Keep(payload, pointAttributeField, endpoint))
                        {
                            continue;
                        }

                        kept = true;
                    }

                    break;
                default:
                    throw new InvalidDataException($"unsupported wire type {wireType}");
            }

            output.Write(message[fieldStart..position]);
        }

        // A metric, scope or resource whose points all went is dropped; a point container needs a point.
        return kept ? output.ToArray() : null;
    }

    private static bool Keep(ReadOnlySpan<byte> point, int attributeField, string endpoint)
    {
        string? endpointRoute = null, route = null;
        var position = 0;
        while (position < point.Length)
        {
            var tag = ReadVarint(point, ref position);
            switch ((int)(tag & 7))
            {
                case 0:
                    ReadVarint(point, ref position);
                    break;
                case 1:
                    position += 8;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    var length = (int)ReadVarint(point, ref position);
                    if ((int)(tag >> 3) == attributeField && StringAttribute(point.Slice(position, length)) is var (key, value))
                    {
                        if (key == EndpointRouteKey)
                        {
                            endpointRoute = value;
                        }
                        else if (key == RouteKey)
                        {
                            route = value;
                        }
                    }

                    position += length;
                    break;
            }
        }

        return (endpointRoute ?? route) == endpoint;
    }

    /// <summary>A <c>KeyValue</c> whose value is a string: (key, value); null otherwise.</summary>
    private static (string Key, string Value)? StringAttribute(ReadOnlySpan<byte> keyValue)
    {
        string? key = null, value = null;
        var position = 0;
        while (position < keyValue.Length)
        {
            var tag = ReadVarint(keyValue, ref position);
            if ((tag & 7) != 2)
            {
                return null;
            }

            var length = (int)ReadVarint(keyValue, ref position);
            var payload = keyValue.Slice(position, length);
            position += length;
            if (tag >> 3 == 1)
            {
                key = Encoding.UTF8.GetString(payload);
            }
            else if (tag >> 3 == 2)
            {
                var inner = 0;
                var valueTag = ReadVarint(payload, ref inner);
                if (valueTag != ((1 << 3) | 2))
                {
                    return null;
                }

                var valueLength = (int)ReadVarint(payload, ref inner);
                value = Encoding.UTF8.GetString(payload.Slice(inner, valueLength));
            }
        }

        return key is null || value is null ? null : (key, value);
    }

    private static void WriteVarint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        output.WriteByte((byte)value);
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("malformed varint");
    }
}
