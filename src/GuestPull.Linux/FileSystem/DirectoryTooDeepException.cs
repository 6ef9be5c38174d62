namespace GuestPull.Linux;

/// <summary><see cref="TreeRemover"/> met directories nested deeper than it was allowed to descend.</summary>
public sealed class DirectoryTooDeepException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The directory at which the limit was reached.</param>
    /// <param name="maxDepth">The limit.</param>
    public DirectoryTooDeepException(string path, int maxDepth)
        : base($"cannot remove '{path}': directories are nested deeper than {maxDepth} levels")
    {
        Path = path;
        MaxDepth = maxDepth;
    }

    /// <summary>The directory at which the limit was reached.</summary>
    public string Path { get; }

    /// <summary>The limit.</summary>
    public int MaxDepth { get; }
}
