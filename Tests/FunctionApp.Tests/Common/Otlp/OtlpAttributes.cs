using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;

namespace FunctionApp.Tests.Common.Otlp;

/// <summary>
/// OTLP <c>AnyValue</c>s as plain .NET values: <see cref="string"/>, <see cref="bool"/>, <see cref="long"/>,
/// <see cref="double"/>, <c>byte[]</c>, <c>object?[]</c> for arrays, a dictionary for key-value lists, null for empty.
/// </summary>
public static class OtlpAttributes
{
    public static IReadOnlyDictionary<string, object?> ToDictionary(RepeatedField<KeyValue> attributes)
    {
        var result = new Dictionary<string, object?>(attributes.Count, StringComparer.Ordinal);
        foreach (var attribute in attributes)
        {
            result[attribute.Key] = ToObject(attribute.Value);
        }

        return result;
    }

    public static object? ToObject(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue,
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue,
        AnyValue.ValueOneofCase.BytesValue => value.BytesValue.ToByteArray(),
        AnyValue.ValueOneofCase.ArrayValue => value.ArrayValue.Values.Select(ToObject).ToArray(),
        AnyValue.ValueOneofCase.KvlistValue => ToDictionary(value.KvlistValue.Values),
        _ => null,
    };
}
