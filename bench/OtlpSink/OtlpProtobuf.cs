namespace Bench.OtlpSink;

/// <summary>
/// Just enough of the protobuf wire format to count what an OTLP export request carries, without generated code:
/// <c>ExportTraceServiceRequest</c> → resource_spans (1) → scope_spans (2) → spans (2), and
/// <c>ExportMetricsServiceRequest</c> → resource_metrics (1) → scope_metrics (2) → metrics (2) → gauge (5), sum (7),
/// histogram (9), exponential_histogram (10) or summary (11) → data_points (1).
/// </summary>
internal static class OtlpProtobuf
{
    public static bool TryCountSpans(ReadOnlySpan<byte> request, out long spans)
    {
        spans = 0;
        var resources = new FieldReader(request);
        while (resources.TryNext(out var field, out var resource))
        {
            if (field != 1)
            {
                continue;
            }

            var scopes = new FieldReader(resource);
            while (scopes.TryNext(out field, out var scope))
            {
                if (field != 2)
                {
                    continue;
                }

                var items = new FieldReader(scope);
                while (items.TryNext(out field, out _))
                {
                    if (field == 2)
                    {
                        spans++;
                    }
                }

                if (items.Malformed)
                {
                    return false;
                }
            }

            if (scopes.Malformed)
            {
                return false;
            }
        }

        return !resources.Malformed;
    }

    public static bool TryCountMetrics(ReadOnlySpan<byte> request, out long metrics, out long dataPoints)
    {
        metrics = 0;
        dataPoints = 0;
        var resources = new FieldReader(request);
        while (resources.TryNext(out var field, out var resource))
        {
            if (field != 1)
            {
                continue;
            }

            var scopes = new FieldReader(resource);
            while (scopes.TryNext(out field, out var scope))
            {
                if (field != 2)
                {
                    continue;
                }

                var items = new FieldReader(scope);
                while (items.TryNext(out field, out var metric))
                {
                    if (field != 2)
                    {
                        continue;
                    }

                    metrics++;
                    var kinds = new FieldReader(metric);
                    while (kinds.TryNext(out field, out var data))
                    {
                        if (field is not (5 or 7 or 9 or 10 or 11))
                        {
                            continue;
                        }

                        var points = new FieldReader(data);
                        while (points.TryNext(out field, out _))
                        {
                            if (field == 1)
                            {
                                dataPoints++;
                            }
                        }

                        if (points.Malformed)
                        {
                            return false;
                        }
                    }

                    if (kinds.Malformed)
                    {
                        return false;
                    }
                }

                if (items.Malformed)
                {
                    return false;
                }
            }

            if (scopes.Malformed)
            {
                return false;
            }
        }

        return !resources.Malformed;
    }

    /// <summary>Walks the fields of one message, returning the length-delimited ones and skipping the rest.</summary>
    private ref struct FieldReader(ReadOnlySpan<byte> message)
    {
        private readonly ReadOnlySpan<byte> _message = message;
        private int _position;

        public bool Malformed { get; private set; }

        public bool TryNext(out int field, out ReadOnlySpan<byte> value)
        {
            while (_position < _message.Length)
            {
                if (!TryReadVarint(out var tag) || tag >> 3 is 0 or > int.MaxValue)
                {
                    return Fail(out field, out value);
                }

                field = (int)(tag >> 3);
                switch (tag & 7)
                {
                    case 0:
                        if (!TryReadVarint(out _))
                        {
                            return Fail(out field, out value);
                        }

                        break;
                    case 1:
                        if (!TrySkip(8))
                        {
                            return Fail(out field, out value);
                        }

                        break;
                    case 2:
                        if (!TryReadVarint(out var length) || length > (ulong)(_message.Length - _position))
                        {
                            return Fail(out field, out value);
                        }

                        value = _message.Slice(_position, (int)length);
                        _position += (int)length;
                        return true;
                    case 5:
                        if (!TrySkip(4))
                        {
                            return Fail(out field, out value);
                        }

                        break;
                    default:
                        return Fail(out field, out value);
                }
            }

            field = 0;
            value = default;
            return false;
        }

        private bool Fail(out int field, out ReadOnlySpan<byte> value)
        {
            Malformed = true;
            _position = _message.Length;
            field = 0;
            value = default;
            return false;
        }

        private bool TrySkip(int count)
        {
            if (_message.Length - _position < count)
            {
                return false;
            }

            _position += count;
            return true;
        }

        private bool TryReadVarint(out ulong value)
        {
            value = 0;
            for (var shift = 0; shift < 64 && _position < _message.Length; shift += 7)
            {
                var b = _message[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
