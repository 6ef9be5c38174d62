using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace GuestPull.Oci.Registry.Auth;

/// <summary>
/// Bearer tokens by <see cref="TokenCacheKey"/>, safe to share between concurrent requests.
/// A token counts as expired a safety margin before its stated expiry, so a request does not
/// leave with a token that dies in flight.
/// </summary>
public sealed class TokenCache
{
    /// <summary>How long before its expiry a token stops being handed out, unless the constructor says otherwise.</summary>
    public static readonly TimeSpan DefaultSafetyMargin = TimeSpan.FromSeconds(10);

    // Enough for every repository of a large pull; beyond it expired entries are swept, and
    // far beyond it everything goes (tokens are cheap to fetch again, memory is not unbounded).
    private const int SweepThreshold = 1024;
    private const int HardLimit = 4 * SweepThreshold;

    private readonly ConcurrentDictionary<TokenCacheKey, BearerToken> _tokens = new();
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _safetyMargin;

    /// <summary>Creates an empty cache.</summary>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="safetyMargin">How long before expiry a token is dropped; <see cref="DefaultSafetyMargin"/> when <see langword="null"/>.</param>
    public TokenCache(TimeProvider? timeProvider = null, TimeSpan? safetyMargin = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
        _safetyMargin = safetyMargin ?? DefaultSafetyMargin;
        ArgumentOutOfRangeException.ThrowIfLessThan(_safetyMargin, TimeSpan.Zero, nameof(safetyMargin));
    }

    /// <summary>How many tokens are held, expired ones included until they are swept.</summary>
    public int Count => _tokens.Count;

    /// <summary>Gets a token that is still valid for at least the safety margin.</summary>
    /// <param name="key">What the token is for.</param>
    /// <param name="token">The token value when found.</param>
    /// <returns><see langword="true"/> when a usable token was found.</returns>
    public bool TryGet(TokenCacheKey key, [MaybeNullWhen(false)] out string token)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_tokens.TryGetValue(key, out var cached))
        {
            if (IsUsable(cached, _timeProvider.GetUtcNow()))
            {
                token = cached.Token;
                return true;
            }

            // Only remove the entry we looked at: another request may have just stored a fresh one.
            _tokens.TryRemove(KeyValuePair.Create(key, cached));
        }

        token = null;
        return false;
    }

    /// <summary>Stores a token, replacing any held for the same key.</summary>
    /// <param name="key">What the token is for.</param>
    /// <param name="token">The token.</param>
    public void Set(TokenCacheKey key, BearerToken token)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(token);
        _tokens[key] = token;
        if (_tokens.Count > SweepThreshold)
        {
            Sweep();
        }
    }

    /// <summary>Forgets the token for a key, for example after the registry rejected it.</summary>
    /// <param name="key">What the token was for.</param>
    public void Invalidate(TokenCacheKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _tokens.TryRemove(key, out _);
    }

    private bool IsUsable(BearerToken token, DateTimeOffset now) => now + _safetyMargin < token.ExpiresAt;

    private void Sweep()
    {
        var now = _timeProvider.GetUtcNow();
        foreach (var entry in _tokens)
        {
            if (!IsUsable(entry.Value, now))
            {
                _tokens.TryRemove(entry);
            }
        }

        if (_tokens.Count > HardLimit)
        {
            _tokens.Clear();
        }
    }
}
