using System.Globalization;
using GuestPull.Oci.Model;

namespace GuestPull.Images.Store;

/// <summary>
/// The images recorded in the layer store (tables <c>images</c> and <c>image_layers</c>): which layers,
/// in which order, each reference is assembled from.
/// </summary>
internal sealed class ImageCatalog
{
    private readonly StoreDatabase _database;

    public ImageCatalog(StoreDatabase database)
    {
        _database = database;
    }

    /// <summary>Records (or updates) an image whose layers are all in the store, and marks them used.</summary>
    /// <exception cref="InvalidOperationException">A layer of the image is not in the store.</exception>
    public Task RecordAsync(ImageRecord image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrEmpty(image.Reference);
        return _database.RunAsync(async () =>
        {
            await using var transaction = await _database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var now = StoreDatabase.Now();
            foreach (var diffId in image.DiffIds)
            {
                using var check = _database.Command(transaction, "SELECT COUNT(*) FROM layers WHERE diff_id = $d");
                check.Parameters.AddWithValue("$d", diffId.ToString());
                if (Convert.ToInt64(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
                {
                    throw new InvalidOperationException($"cannot record image {image.Reference}: its layer {diffId} is not in the store");
                }
            }

            using (var upsert = _database.Command(transaction, """
                INSERT INTO images (reference, manifest_digest, index_digest, config_digest, platform, config_json, created, last_used)
                VALUES ($r, $m, $i, $c, $p, $j, $now, $now)
                ON CONFLICT(reference) DO UPDATE SET manifest_digest = excluded.manifest_digest, index_digest = excluded.index_digest,
                    config_digest = excluded.config_digest, platform = excluded.platform, config_json = excluded.config_json,
                    last_used = excluded.last_used
                """))
            {
                upsert.Parameters.AddWithValue("$r", image.Reference);
                upsert.Parameters.AddWithValue("$m", image.ManifestDigest.ToString());
                upsert.Parameters.AddWithValue("$i", image.IndexDigest?.ToString() ?? (object)DBNull.Value);
                upsert.Parameters.AddWithValue("$c", image.ConfigDigest.ToString());
                upsert.Parameters.AddWithValue("$p", image.Platform);
                upsert.Parameters.AddWithValue("$j", image.ConfigJson);
                upsert.Parameters.AddWithValue("$now", now);
                await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            using (var clear = _database.Command(transaction, "DELETE FROM image_layers WHERE image = $r"))
            {
                clear.Parameters.AddWithValue("$r", image.Reference);
                await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            for (var position = 0; position < image.DiffIds.Count; position++)
            {
                using var insert = _database.Command(transaction, "INSERT INTO image_layers (image, position, diff_id) VALUES ($r, $p, $d)");
                insert.Parameters.AddWithValue("$r", image.Reference);
                insert.Parameters.AddWithValue("$p", position);
                insert.Parameters.AddWithValue("$d", image.DiffIds[position].ToString());
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                using var touch = _database.Command(transaction, "UPDATE layers SET last_used = $now WHERE diff_id = $d");
                touch.Parameters.AddWithValue("$now", now);
                touch.Parameters.AddWithValue("$d", image.DiffIds[position].ToString());
                await touch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }, cancellationToken);
    }

    /// <summary>The image recorded under <paramref name="reference"/>, or null.</summary>
    public async Task<ImageRecord?> GetAsync(string reference, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        var images = await QueryAsync(reference, cancellationToken).ConfigureAwait(false);
        return images.Count == 0 ? null : images[0];
    }

    /// <summary>Every recorded image, ordered by reference.</summary>
    public Task<IReadOnlyList<ImageRecord>> ListAsync(CancellationToken cancellationToken) => QueryAsync(null, cancellationToken);

    /// <summary>Forgets an image (its layers stay); returns whether it was recorded.</summary>
    public Task<bool> RemoveAsync(string reference, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        return _database.RunAsync(async () =>
        {
            using var command = _database.Command(null, "DELETE FROM images WHERE reference = $r");
            command.Parameters.AddWithValue("$r", reference);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }, cancellationToken);
    }

    private Task<IReadOnlyList<ImageRecord>> QueryAsync(string? reference, CancellationToken cancellationToken)
        => _database.RunAsync<IReadOnlyList<ImageRecord>>(async () =>
        {
            await using var transaction = await _database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            using var command = _database.Command(transaction, """
                SELECT reference, manifest_digest, index_digest, config_digest, platform, config_json, created, last_used
                FROM images
                """ + (reference is null ? string.Empty : " WHERE reference = $r") + " ORDER BY reference");
            if (reference is not null)
            {
                command.Parameters.AddWithValue("$r", reference);
            }

            var images = new List<ImageRecord>();
            using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    images.Add(new ImageRecord
                    {
                        Reference = reader.GetString(0),
                        ManifestDigest = Digest.Parse(reader.GetString(1)),
                        IndexDigest = await reader.IsDBNullAsync(2, cancellationToken).ConfigureAwait(false) ? null : Digest.Parse(reader.GetString(2)),
                        ConfigDigest = Digest.Parse(reader.GetString(3)),
                        Platform = reader.GetString(4),
                        ConfigJson = reader.GetString(5),
                        Created = StoreDatabase.Time(reader.GetInt64(6)),
                        LastUsed = StoreDatabase.Time(reader.GetInt64(7)),
                        DiffIds = [],
                    });
                }
            }

            for (var i = 0; i < images.Count; i++)
            {
                using var layers = _database.Command(transaction, "SELECT diff_id FROM image_layers WHERE image = $r ORDER BY position");
                layers.Parameters.AddWithValue("$r", images[i].Reference);
                var diffIds = new List<Digest>();
                using var reader = await layers.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    diffIds.Add(Digest.Parse(reader.GetString(0)));
                }

                images[i] = images[i] with { DiffIds = diffIds };
            }

            return images;
        }, cancellationToken);
}
