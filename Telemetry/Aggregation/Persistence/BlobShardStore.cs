using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Telemetry.Aggregation.Persistence;

/// <summary>
/// The companion's shards in Blob Storage: one blob per companion instance, <c>shards/&lt;instance-id&gt;.bin</c> in
/// the <c>companion-state</c> container, holding that instance's <see cref="AggregatorSnapshot.ToBytes"/>. Each
/// instance writes only its own blob (single writer); readers merge them all. Beside them, <c>retired.bin</c> holds
/// the shared retired state, written only by the holder of its lease (see <see cref="SharedRetirement"/>).
/// </summary>
public sealed class BlobShardStore
{
    /// <summary>The container the companion keeps its state in (created when missing).</summary>
    public const string DefaultContainerName = "companion-state";

    private const string ShardPrefix = "shards/";
    private const string ShardSuffix = ".bin";
    private const string RetiredBlobName = "retired.bin";
    private const string AbsorbedMetadataKey = "absorbed";
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

    /// <summary>
    /// Writes this instance's shard, on condition that it is still the version this instance last wrote or read
    /// (<paramref name="expectedETag"/>; null: that it does not exist). Returns the new version, or null when the
    /// condition failed: the shard changed, was absorbed and deleted, or is leased by the retirement round.
    /// </summary>
    public async Task<string?> TryWriteShardAsync(string instanceId, byte[] snapshotBytes, string? expectedETag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshotBytes);
        var blob = _container.GetBlobClient(ShardBlobName(instanceId));
        var conditions = expectedETag is null ? new BlobRequestConditions { IfNoneMatch = ETag.All } : new BlobRequestConditions { IfMatch = new ETag(expectedETag) };
        try
        {
            var info = await blob.UploadAsync(new BinaryData(snapshotBytes), new BlobUploadOptions { Conditions = conditions }, cancellationToken).ConfigureAwait(false);
            return Normalize(info.Value.ETag);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
        {
            return null;
        }
    }

    /// <summary>The bytes and version of one shard, or null when it does not exist.</summary>
    public async Task<StoredShard?> ReadShardAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(ShardBlobName(instanceId));
        try
        {
            var content = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return new StoredShard(instanceId, content.Value.Content.ToArray(), Normalize(content.Value.Details.ETag), content.Value.Details.LastModified);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The current version of a shard (null when it does not exist) and whether it is leased.</summary>
    public async Task<(string? ETag, bool Leased)> ShardVersionAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        try
        {
            var properties = await _container.GetBlobClient(ShardBlobName(instanceId)).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return (Normalize(properties.Value.ETag), properties.Value.LeaseState == LeaseState.Leased);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return (null, false);
        }
    }

    /// <summary>Every shard with its version and last write time. A shard deleted while listing is skipped.</summary>
    public async Task<IReadOnlyList<StoredShard>> ReadAllShardsAsync(CancellationToken cancellationToken = default)
    {
        var shards = new List<StoredShard>();
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
                shards.Add(new StoredShard(id, content.Value.Content.ToArray(), Normalize(content.Value.Details.ETag), content.Value.Details.LastModified));
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // Deleted between the listing and the download.
            }
        }

        return shards;
    }

    /// <summary>
    /// The shared retired state (<c>retired.bin</c>): the snapshot the retirement rounds write, and the list of
    /// shards absorbed into it. Null when no round has run yet. With <paramref name="unlessETag"/>, returns the
    /// same object's <see cref="RetiredState.Unchanged"/> marker when the blob still has that version.
    /// </summary>
    public async Task<RetiredState?> ReadRetiredAsync(string? unlessETag = null, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(RetiredBlobName);
        try
        {
            var options = new BlobDownloadOptions { Conditions = unlessETag is null ? null : new BlobRequestConditions { IfNoneMatch = new ETag(unlessETag) } };
            var content = await blob.DownloadContentAsync(options, cancellationToken).ConfigureAwait(false);
            if (content.GetRawResponse().Status == 304)
            {
                return RetiredState.Unchanged;
            }

            var details = content.Value.Details;
            var absorbed = details.Metadata.TryGetValue(AbsorbedMetadataKey, out var list) ? AbsorbedShard.ParseList(list) : [];
            return new RetiredState(content.Value.Content.ToArray(), Normalize(details.ETag), absorbed);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
        catch (RequestFailedException e) when (e.Status == 304)
        {
            return RetiredState.Unchanged;
        }
    }

    /// <summary>
    /// Takes the lease that makes its holder the only one running a retirement round (creating the retired blob,
    /// empty, when missing). Null when another companion holds it.
    /// </summary>
    public async Task<BlobLeaseClient?> TryAcquireRetirementLeaseAsync(byte[] emptySnapshot, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(RetiredBlobName);
        try
        {
            await blob.UploadAsync(new BinaryData(emptySnapshot), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // It exists already (or is leased): fine.
        }

        var lease = blob.GetBlobLeaseClient();
        try
        {
            await lease.AcquireAsync(duration, cancellationToken: cancellationToken).ConfigureAwait(false);
            return lease;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return null;
        }
    }

    /// <summary>Replaces the retired state under the round's lease.</summary>
    public async Task WriteRetiredAsync(byte[] snapshotBytes, IReadOnlyList<AbsorbedShard> absorbed, string leaseId, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(RetiredBlobName);
        await blob.UploadAsync(new BinaryData(snapshotBytes), new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { LeaseId = leaseId },
            Metadata = new Dictionary<string, string> { [AbsorbedMetadataKey] = AbsorbedShard.FormatList(absorbed) },
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Leases a shard for its absorption, on condition that it is still at <paramref name="eTag"/>. Null when it changed or is leased.</summary>
    public async Task<BlobLeaseClient?> TryLeaseShardAsync(string instanceId, string eTag, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var lease = _container.GetBlobClient(ShardBlobName(instanceId)).GetBlobLeaseClient();
        try
        {
            await lease.AcquireAsync(duration, new RequestConditions { IfMatch = new ETag(eTag) }, cancellationToken).ConfigureAwait(false);
            return lease;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
        {
            return null;
        }
    }

    /// <summary>Deletes an absorbed shard under its lease. False when it is gone already.</summary>
    public async Task<bool> DeleteShardAsync(string instanceId, string leaseId, CancellationToken cancellationToken = default)
    {
        try
        {
            await _container.GetBlobClient(ShardBlobName(instanceId)).DeleteAsync(conditions: new BlobRequestConditions { LeaseId = leaseId }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }

    private static string Normalize(ETag eTag) => eTag.ToString().Trim('"');
}
