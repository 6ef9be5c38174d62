using System.Text;
using GuestPull.Ttrpc;

namespace GuestPull.Agent.Files;

/// <summary>
/// A CopyFile destination that passed the textual checks: absolute, normalised (no empty, <c>.</c>
/// or <c>..</c> component) and strictly below the copy root. What lies on disk along the way
/// (symlinks) is checked while walking it, by <see cref="CopyDirectoryWalker"/>.
/// </summary>
/// <param name="Path">The destination as the request named it.</param>
/// <param name="Parents">The directories between the copy root and the destination, outermost first.</param>
/// <param name="Name">The destination's own name.</param>
internal sealed record CopyTarget(string Path, IReadOnlyList<string> Parents, string Name)
{
    // NAME_MAX and PATH_MAX less its NUL: longer would only fail later, in the kernel, with a vaguer
    // error (and a path of thousands of components would cost as many directory walks).
    private const int MaxComponentBytes = 255;
    private const int MaxPathBytes = 4095;

    /// <summary>Checks <paramref name="path"/> against <paramref name="root"/> (absolute and normalised itself).</summary>
    /// <exception cref="TtrpcException">InvalidArgument, naming the path and what is wrong with it.</exception>
    public static CopyTarget Parse(string path, string root)
    {
        if (path.Length == 0)
        {
            throw Refuse(path, "is empty");
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw Refuse(path, "contains a NUL character");
        }

        if (path[0] != '/')
        {
            throw Refuse(path, "is not absolute");
        }

        if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            throw Refuse(path, $"is longer than {MaxPathBytes} bytes");
        }

        // ".." is named before "outside the root": "/root/../etc" is both, and ".." is the reason.
        foreach (var component in path[1..].Split('/'))
        {
            var problem = component switch
            {
                "" => "is not normalised (an empty component: a doubled or trailing '/')",
                "." => "is not normalised (a \".\" component)",
                ".." => "contains \"..\"",
                _ when Encoding.UTF8.GetByteCount(component) > MaxComponentBytes => $"has a component longer than {MaxComponentBytes} bytes",
                _ => null,
            };
            if (problem is not null)
            {
                throw Refuse(path, problem);
            }
        }

        var prefix = root == "/" ? "/" : root + "/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal) || path.Length == prefix.Length)
        {
            throw Refuse(path, $"is not below the copy root {root}");
        }

        var below = path[prefix.Length..].Split('/');
        return new CopyTarget(path, below[..^1], below[^1]);
    }

    /// <summary>The refusal of a request for this destination.</summary>
    public TtrpcException Refuse(string problem) => Refuse(Path, problem);

    // A path too long to be valid is shown cut short: the whole of it could not even travel back in a
    // ttrpc response.
    private static TtrpcException Refuse(string path, string problem) =>
        new(TtrpcStatusCode.InvalidArgument, $"CopyFile: path \"{(path.Length > MaxPathBytes ? path[..256] + "…" : path)}\" {problem}");
}
