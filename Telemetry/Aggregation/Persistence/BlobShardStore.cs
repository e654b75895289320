using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Telemetry.Aggregation.Persistence;

/// <summary>
/// The companion's shards in Blob Storage: one blob per companion instance, <c>shards/&lt;instance-id&gt;.bin</c> in
/// the <c>companion-state</c> container, holding that instance's <see cref="AggregatorSnapshot.ToBytes"/>. Each
/// instance writes only its own blob (single writer); readers merge them all.
/// </summary>
public sealed class BlobShardStore
{
    /// <summary>The container the companion keeps its state in (created when missing).</summary>
    public const string DefaultContainerName = "companion-state";

    private const string ShardPrefix = "shards/";
    private const string ShardSuffix = ".bin";
    private readonly BlobContainerClient _container;

    public BlobShardStore(BlobContainerClient container)
    {
        ArgumentNullException.ThrowIfNull(container);
        _container = container;
    }

    /// <summary>A store on the account of a storage connection string (as in <c>AzureWebJobsStorage</c>).</summary>
    public static BlobShardStore FromConnectionString(string connectionString, string containerName = DefaultContainerName) =>
        new(new BlobContainerClient(connectionString, containerName));

    /// <summary>
    /// A store from the Functions host's storage settings named <paramref name="prefix"/> (e.g.
    /// <c>AzureWebJobsStorage</c>): the setting itself as a connection string, or the identity-based form
    /// (<c>__blobServiceUri</c> or <c>__accountName</c>; <c>__credential=managedidentity</c> with an optional
    /// <c>__clientId</c> uses that managed identity, otherwise <see cref="DefaultAzureCredential"/>). Null when neither is set.
    /// </summary>
    public static BlobShardStore? FromSettings(Func<string, string?> getSetting, string prefix, string containerName = DefaultContainerName)
    {
        ArgumentNullException.ThrowIfNull(getSetting);
        if (getSetting(prefix) is { Length: > 0 } connectionString)
        {
            return FromConnectionString(connectionString, containerName);
        }

        Uri? serviceUri = null;
        if (getSetting(prefix + "__blobServiceUri") is { Length: > 0 } uri)
        {
            serviceUri = new Uri(uri.TrimEnd('/'));
        }
        else if (getSetting(prefix + "__accountName") is { Length: > 0 } accountName)
        {
            serviceUri = new Uri($"https://{accountName}.blob.core.windows.net");
        }

        if (serviceUri is null)
        {
            return null;
        }

        var clientId = getSetting(prefix + "__clientId");
        TokenCredential credential = string.Equals(getSetting(prefix + "__credential"), "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(string.IsNullOrEmpty(clientId) ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = string.IsNullOrEmpty(clientId) ? null : clientId });
        return new BlobShardStore(new BlobContainerClient(new Uri(serviceUri + "/" + containerName), credential));
    }

    public Task EnsureContainerAsync(CancellationToken cancellationToken = default) =>
        _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

    /// <summary>The blob name of a shard; the id must be a plain name (letters, digits, <c>-</c>, <c>_</c>, <c>.</c>).</summary>
    public static string ShardBlobName(string instanceId)
    {
        ValidateInstanceId(instanceId);
        return ShardPrefix + instanceId + ShardSuffix;
    }

    public static void ValidateInstanceId(string instanceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        if (instanceId.Length > 200 || instanceId is "." or ".." || !instanceId.All(static c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException($"invalid companion instance id \"{instanceId}\": use letters, digits, '-', '_' and '.' (at most 200)", nameof(instanceId));
        }
    }

    /// <summary>Replaces the shard of <paramref name="instanceId"/>.</summary>
    public async Task WriteShardAsync(string instanceId, byte[] snapshotBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshotBytes);
        var blob = _container.GetBlobClient(ShardBlobName(instanceId));
        await blob.UploadAsync(new BinaryData(snapshotBytes), overwrite: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The bytes of one shard, or null when it does not exist.</summary>
    public async Task<byte[]?> ReadShardAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(ShardBlobName(instanceId));
        try
        {
            var content = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return content.Value.Content.ToArray();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Every shard: (instance id, bytes). A shard deleted while listing is skipped.</summary>
    public async Task<IReadOnlyList<KeyValuePair<string, byte[]>>> ReadAllShardsAsync(CancellationToken cancellationToken = default)
    {
        var shards = new List<KeyValuePair<string, byte[]>>();
        await foreach (var item in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = ShardPrefix }, cancellationToken).ConfigureAwait(false))
        {
            if (!item.Name.EndsWith(ShardSuffix, StringComparison.Ordinal))
            {
                continue;
            }

            var id = item.Name[ShardPrefix.Length..^ShardSuffix.Length];
            try
            {
                var content = await _container.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
                shards.Add(new(id, content.Value.Content.ToArray()));
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // Deleted between the listing and the download.
            }
        }

        return shards;
    }
}
