using Xunit;

namespace GuestPull.Testing.Traits;

/// <summary>A fact that xunit reports as skipped, naming the file, when a program it needs is not installed.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class FactWhenFileExistsAttribute : FactAttribute
{
    /// <summary>Skips the test unless <paramref name="path"/> exists.</summary>
    /// <param name="path">The program or file the test needs.</param>
    public FactWhenFileExistsAttribute(string path)
    {
        if (!File.Exists(path))
        {
            Skip = $"{path} is not installed on this machine";
        }
    }
}
