using System.Collections;
using System.Globalization;
using System.Text;

namespace Telemetry.Prometheus;

/// <summary>
/// OpenTelemetry → Prometheus names and label values, as the Go OTel Prometheus exporter v0.46/v0.47 that KrakenD
/// uses does them (reference §6.2): metric names keep <c>[a-zA-Z0-9_:]</c> and turn every other character into
/// <c>_</c> (a leading digit gets a <c>_</c> prefix); a unit suffix only for the units in Go's table (so <c>b</c>,
/// <c>{request}</c> and no unit add nothing); counters end in <c>_total</c>, after the unit suffix.
/// </summary>
public static class PrometheusNaming
{
    /// <summary>Go exporter v0.46's <c>unitSuffixes</c>, exactly: anything else adds no suffix.</summary>
    private static readonly Dictionary<string, string> UnitSuffixes = new(StringComparer.Ordinal)
    {
        ["d"] = "_days",
        ["h"] = "_hours",
        ["min"] = "_minutes",
        ["s"] = "_seconds",
        ["ms"] = "_milliseconds",
        ["us"] = "_microseconds",
        ["ns"] = "_nanoseconds",
        ["By"] = "_bytes",
        ["KiBy"] = "_kibibytes",
        ["MiBy"] = "_mebibytes",
        ["GiBy"] = "_gibibytes",
        ["TiBy"] = "_tibibytes",
        ["KBy"] = "_kilobytes",
        ["MBy"] = "_megabytes",
        ["GBy"] = "_gigabytes",
        ["TBy"] = "_terabytes",
        ["m"] = "_meters",
        ["V"] = "_volts",
        ["A"] = "_amperes",
        ["J"] = "_joules",
        ["W"] = "_watts",
        ["g"] = "_grams",
        ["Cel"] = "_celsius",
        ["Hz"] = "_hertz",
        ["1"] = "_ratio",
        ["%"] = "_percent",
    };

    private const string CounterSuffix = "_total";

    /// <summary>The family name of an instrument: sanitised, unit suffix, then <c>_total</c> for counters.</summary>
    public static string MetricName(string instrumentName, string? unit, MetricFamilyType type)
    {
        var name = SanitizeMetricName(instrumentName);
        var counter = type == MetricFamilyType.Counter;
        if (counter && name.EndsWith(CounterSuffix, StringComparison.Ordinal))
        {
            // Re-added below, after the unit suffix.
            name = name[..^CounterSuffix.Length];
        }

        if (unit is not null && UnitSuffixes.TryGetValue(unit, out var suffix) && !name.EndsWith(suffix, StringComparison.Ordinal))
        {
            name += suffix;
        }

        return counter ? name + CounterSuffix : name;
    }

    /// <summary>Every character outside <c>[a-zA-Z0-9_:]</c> (per code point) becomes <c>_</c>; a leading digit gets a <c>_</c> prefix.</summary>
    public static string SanitizeMetricName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            return "_";
        }

        var builder = new StringBuilder(name.Length + 1);
        if (char.IsAsciiDigit(name[0]))
        {
            builder.Append('_');
        }

        foreach (var rune in name.EnumerateRunes())
        {
            builder.Append(rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value is '_' or ':') ? (char)rune.Value : '_');
        }

        return builder.ToString();
    }

    /// <summary>
    /// An attribute key as a label name: every character outside <c>[a-zA-Z0-9_]</c> (per code point) becomes
    /// <c>_</c>, so dots turn into underscores; a leading digit gets a <c>_</c> prefix. Go keeps non-ASCII letters and
    /// <c>:</c>, which makes its client reject the series; we keep the series with a valid name instead.
    /// </summary>
    public static string LabelName(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0)
        {
            return "_";
        }

        var builder = new StringBuilder(key.Length + 1);
        if (char.IsAsciiDigit(key[0]))
        {
            builder.Append('_');
        }

        foreach (var rune in key.EnumerateRunes())
        {
            builder.Append(rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value == '_') ? (char)rune.Value : '_');
        }

        return builder.ToString();
    }

    /// <summary>
    /// An attribute value as Go's <c>attribute.Value.Emit</c> prints it: booleans <c>true</c>/<c>false</c>, integers in
    /// decimal, floats in Go's shortest form, arrays as <c>[a b c]</c>, null as empty.
    /// </summary>
    public static string LabelValue(object? value) => value switch
    {
        null => "",
        string text => text,
        bool flag => flag ? "true" : "false",
        double number => GoFloat.Format(number),
        float number => GoFloat.Format(number),
        decimal number => GoFloat.Format((double)number),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable items => "[" + string.Join(' ', items.Cast<object?>().Select(LabelValue)) + "]",
        _ => value.ToString() ?? "",
    };

    /// <summary>
    /// Attributes as labels: keys through <see cref="LabelName"/>; keys that become equal are merged into one label
    /// whose values are joined with <c>;</c> in the order of the original keys (Go's and the spec's rule).
    /// </summary>
    public static List<MetricLabel> Labels(IEnumerable<KeyValuePair<string, object?>> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var byName = new SortedDictionary<string, List<(string Key, string Value)>>(StringComparer.Ordinal);
        foreach (var attribute in attributes)
        {
            var name = LabelName(attribute.Key);
            if (!byName.TryGetValue(name, out var values))
            {
                values = [];
                byName.Add(name, values);
            }

            values.Add((attribute.Key, LabelValue(attribute.Value)));
        }

        var labels = new List<MetricLabel>(byName.Count);
        foreach (var (name, values) in byName)
        {
            labels.Add(values.Count == 1
                ? new MetricLabel(name, values[0].Value)
                : new MetricLabel(name, string.Join(';', values.OrderBy(static v => v.Key, StringComparer.Ordinal).Select(static v => v.Value))));
        }

        return labels;
    }
}
