using GuestPull.Oci.Model;

namespace GuestPull.Images.Store;

/// <summary>
/// The <c>layer_keys</c> rows: for each layer that came from an encrypted blob, the key checks
/// (<see cref="Ocicrypt.Cipher.LayerCipherOptions.KeyCheck"/>) of the layer keys that decrypted it. A layer
/// with rows here is protected: a pull may use it from the store only by presenting one of those keys.
/// </summary>
internal sealed class LayerKeyCatalog(StoreDatabase database)
{
    public Task<IReadOnlyList<string>> GetAsync(Digest diffId, CancellationToken cancellationToken)
        => database.RunAsync<IReadOnlyList<string>>(async () =>
        {
            using var command = database.Command(null, "SELECT key_check FROM layer_keys WHERE diff_id = $d ORDER BY key_check");
            command.Parameters.AddWithValue("$d", diffId.ToString());
            var checks = new List<string>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                checks.Add(reader.GetString(0));
            }

            return checks;
        }, cancellationToken);
}
