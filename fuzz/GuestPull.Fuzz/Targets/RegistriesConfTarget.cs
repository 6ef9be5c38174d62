using System.Text;
using GuestPull.Oci.Registry.Configuration;

namespace GuestPull.Fuzz.Targets;

/// <summary>
/// <see cref="RegistriesConfiguration.Parse"/> on a registries.conf, then a resolution through it so
/// prefixes, mirrors and blocks the parser accepted are also used. Rejection: <see cref="InvalidDataException"/>
/// (and <see cref="RegistryBlockedException"/> from the resolution).
/// </summary>
internal static class RegistriesConfTarget
{
    // A Docker Hub name, a host with a port and a deep path, so prefixes of each kind can match.
    private static readonly (string Host, string Repository)[] Lookups =
    [
        ("docker.io", "library/busybox"),
        ("registry.example.com:5000", "team/project/app"),
        ("example.com", "foo"),
    ];

    public static void Run(byte[] input)
    {
        try
        {
            var configuration = RegistriesConfiguration.Parse(Encoding.UTF8.GetString(input), "registries.conf");
            foreach (var (host, repository) in Lookups)
            {
                Resolve(configuration, host, repository);
            }
        }
        catch (InvalidDataException ex)
        {
            Rejection.Note(ex);
            // Documented rejection.
        }
    }

    private static void Resolve(RegistriesConfiguration configuration, string host, string repository)
    {
        foreach (var byDigest in new[] { false, true })
        {
            try
            {
                _ = configuration.Resolve(host, repository, byDigest).ToString();
                _ = configuration.ResolveBlobs(host, repository, byDigest).ToString();
            }
            catch (RegistryBlockedException ex)
            {
                Rejection.Note(ex);
                // A configuration may block the registry: a refusal, not a failure.
            }
            catch (InvalidDataException ex)
            {
                Rejection.Note(ex);
                // Documented: the rule's location leaves no repository for this reference.
            }
        }
    }
}
