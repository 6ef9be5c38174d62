namespace GuestPull.Cache.Distribution;

/// <summary>What a request under <c>/v2/</c> asks for.</summary>
internal enum RequestKind
{
    /// <summary><c>/v2/</c>: the API version check.</summary>
    ApiBase,

    /// <summary><c>/v2/&lt;name&gt;/blobs/&lt;digest&gt;</c>.</summary>
    Blob,

    /// <summary><c>/v2/&lt;name&gt;/manifests/&lt;reference&gt;</c>.</summary>
    Manifest,

    /// <summary>Anything else (tags/list, referrers, _catalog, uploads): not served.</summary>
    Unsupported,
}
