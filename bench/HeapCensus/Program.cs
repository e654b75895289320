using System.Runtime.InteropServices;
using Microsoft.Diagnostics.Runtime;

// Counts the objects still reachable in process dumps (createdump of a JIT-compiled .NET process) and compares two:
// what is live, not what the GC has yet to collect, so a leak shows as growth and garbage does not.
//
//   BenchHeapCensus EARLIER.dmp LATER.dmp [TOP]
if (args.Length is < 2 or > 3)
{
    Console.Error.WriteLine("usage: BenchHeapCensus EARLIER.dmp LATER.dmp [TOP]");
    return 2;
}

var top = args.Length == 3 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 12;
var earlier = Census.Take(args[0]);
var later = Census.Take(args[1]);

Console.WriteLine($"| dump | live objects | live MB |");
Console.WriteLine($"|---|---:|---:|");
Console.WriteLine($"| {Path.GetFileName(args[0])} | {earlier.Objects:N0} | {earlier.Bytes / 1048576.0:F1} |");
Console.WriteLine($"| {Path.GetFileName(args[1])} | {later.Objects:N0} | {later.Bytes / 1048576.0:F1} |");
Console.WriteLine();
Console.WriteLine($"Types whose live bytes changed most (top {top}):");
Console.WriteLine();
Console.WriteLine("| type | objects before | objects after | bytes before | bytes after | change |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|");
foreach (var name in earlier.ByType.Keys.Union(later.ByType.Keys)
    .OrderByDescending(name => Math.Abs(later.BytesOf(name) - earlier.BytesOf(name)))
    .Take(top))
{
    var before = earlier.ByType.GetValueOrDefault(name);
    var after = later.ByType.GetValueOrDefault(name);
    Console.WriteLine($"| `{name}` | {before.Count:N0} | {after.Count:N0} | {before.Bytes:N0} | {after.Bytes:N0} | {after.Bytes - before.Bytes:+#,0;-#,0;0} |");
}

return 0;

internal sealed record Census(long Objects, long Bytes, Dictionary<string, (long Count, long Bytes)> ByType)
{
    public long BytesOf(string name) => ByType.GetValueOrDefault(name).Bytes;

    /// <summary>Marks from the roots, as the GC would: only reachable objects count.</summary>
    public static Census Take(string dumpPath)
    {
        using var target = DataTarget.LoadDump(dumpPath);
        var clr = target.ClrVersions.Single();

        // The dump comes from this machine's runtime: its DAC sits next to ours when the versions match.
        var dac = Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "libmscordaccore.so");
        using var runtime = File.Exists(dac) ? clr.CreateRuntime(dac, ignoreMismatch: true) : clr.CreateRuntime();
        var heap = runtime.Heap;
        var seen = new HashSet<ulong>();
        var pending = new Stack<ulong>();
        foreach (var root in heap.EnumerateRoots())
        {
            if (root.Object.Address != 0 && seen.Add(root.Object.Address))
            {
                pending.Push(root.Object.Address);
            }
        }

        var byType = new Dictionary<string, (long Count, long Bytes)>(StringComparer.Ordinal);
        long objects = 0, bytes = 0;
        while (pending.TryPop(out var address))
        {
            var obj = heap.GetObject(address);
            if (!obj.IsValid)
            {
                continue;
            }

            var size = (long)obj.Size;
            var name = obj.Type?.Name ?? "(unknown)";
            var entry = byType.GetValueOrDefault(name);
            byType[name] = (entry.Count + 1, entry.Bytes + size);
            objects++;
            bytes += size;
            foreach (var reference in obj.EnumerateReferences(carefully: false, considerDependantHandles: true))
            {
                if (reference.Address != 0 && seen.Add(reference.Address))
                {
                    pending.Push(reference.Address);
                }
            }
        }

        return new Census(objects, bytes, byType);
    }
}
