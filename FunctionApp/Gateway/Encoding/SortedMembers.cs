using System.Buffers;
using System.Text.Json.Nodes;

namespace FunctionApp.Gateway.Encoding;

/// <summary>
/// The members of a <see cref="JsonObject"/> in code point order of their names, held in pooled arrays for the
/// duration of one write. Dispose returns the arrays.
/// </summary>
internal readonly struct SortedMembers : IDisposable
{
    private readonly string[] _names;
    private readonly JsonNode?[] _values;

    public SortedMembers(JsonObject obj)
    {
        Count = obj.Count;
        _names = ArrayPool<string>.Shared.Rent(Count);
        _values = ArrayPool<JsonNode?>.Shared.Rent(Count);
        var i = 0;
        foreach (var (name, value) in obj)
        {
            _names[i] = name;
            _values[i] = value;
            i++;
        }

        Array.Sort(_names, _values, 0, Count, CodePointComparer.Instance);
    }

    public int Count { get; }

    public string NameAt(int index) => _names[index];

    public JsonNode? ValueAt(int index) => _values[index];

    public void Dispose()
    {
        Array.Clear(_names, 0, Count);
        Array.Clear(_values, 0, Count);
        ArrayPool<string>.Shared.Return(_names);
        ArrayPool<JsonNode?>.Shared.Return(_values);
    }
}
