namespace FunctionApp.Tests.Common;

/// <summary>
/// Tests that build or start whole gateway processes run one at a time: builds share the project's obj folder,
/// and the machine has two cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessCollection
{
    public const string Name = "Gateway processes";
}
