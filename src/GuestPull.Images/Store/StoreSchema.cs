namespace GuestPull.Images.Store;

/// <summary>The metadata database's tables. Times are Unix milliseconds.</summary>
internal static class StoreSchema
{
    public const int Version = 1;

    public const string Create = """
        CREATE TABLE IF NOT EXISTS layers (
            diff_id           TEXT PRIMARY KEY NOT NULL,
            compressed_digest TEXT,
            media_type        TEXT NOT NULL,
            unpacked_size     INTEGER NOT NULL,
            created           INTEGER NOT NULL,
            last_used         INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS images (
            reference       TEXT PRIMARY KEY NOT NULL,
            manifest_digest TEXT NOT NULL,
            index_digest    TEXT,
            config_digest   TEXT NOT NULL,
            platform        TEXT NOT NULL,
            config_json     TEXT NOT NULL,
            created         INTEGER NOT NULL,
            last_used       INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS image_layers (
            image    TEXT NOT NULL REFERENCES images(reference) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            diff_id  TEXT NOT NULL REFERENCES layers(diff_id),
            PRIMARY KEY (image, position)
        );
        CREATE INDEX IF NOT EXISTS image_layers_diff_id ON image_layers(diff_id);
        CREATE TABLE IF NOT EXISTS layer_keys (
            diff_id   TEXT NOT NULL REFERENCES layers(diff_id) ON DELETE CASCADE,
            key_check TEXT NOT NULL,
            PRIMARY KEY (diff_id, key_check)
        );
        """;
}
