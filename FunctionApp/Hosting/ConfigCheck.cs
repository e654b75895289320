using FunctionApp.Gateway.Configuration;

namespace FunctionApp.Hosting;

/// <summary><c>FunctionApp check -c krakend.json</c>, like <c>krakend check</c>.</summary>
public static class ConfigCheck
{
    public static int Run(string path, TextWriter output)
    {
        output.WriteLine($"Parsing configuration file: {path}");
        try
        {
            var (json, description, _) = ConfigLoader.Locate(path, setting: null);
            var model = ConfigLoader.Load(json, description);
            foreach (var problem in model.Unsupported)
            {
                output.WriteLine($"warning: {problem}");
            }

            output.WriteLine("Syntax OK!");
            return 0;
        }
        catch (ConfigException e)
        {
            output.WriteLine($"ERROR: {e.Problems.Count} problem{(e.Problems.Count == 1 ? string.Empty : "s")} found:");
            foreach (var problem in e.Problems)
            {
                output.WriteLine($"  {problem}");
            }

            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            output.WriteLine($"ERROR: {e.Message}");
            return 1;
        }
    }
}
