using System.Diagnostics;
using Telemetry.Configuration;

namespace Telemetry.Layers;

/// <summary>Static attributes (§2.9) turned once into the shapes the hot path adds without allocating.</summary>
internal static class StaticAttributes
{
    public static KeyValuePair<string, object?>[] ToTags(IReadOnlyList<TelemetryAttribute> attributes)
    {
        var tags = new KeyValuePair<string, object?>[attributes.Count];
        for (var i = 0; i < tags.Length; i++)
        {
            tags[i] = new(attributes[i].Key, attributes[i].Value);
        }

        return tags;
    }

    public static void AddTo(ref TagList tags, KeyValuePair<string, object?>[] attributes)
    {
        foreach (var attribute in attributes)
        {
            tags.Add(attribute);
        }
    }

    public static void SetOn(Activity activity, KeyValuePair<string, object?>[] attributes)
    {
        foreach (var (key, value) in attributes)
        {
            activity.SetTag(key, value);
        }
    }
}
