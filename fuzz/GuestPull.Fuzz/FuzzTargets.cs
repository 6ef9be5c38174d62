using GuestPull.Fuzz.Targets;

namespace GuestPull.Fuzz;

/// <summary>Every target, by name.</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("tar", "layer tar with PAX/GNU headers, applied confined into a temp directory (GuestPull.Unpack)", TarTarget.Run),
        new("oci-manifest", "OCI/Docker manifest and index, duplicate keys included (GuestPull.Oci ManifestParser)", OciManifestTarget.Run),
        new("oci-config", "OCI image config (GuestPull.Oci ImageConfig)", OciConfigTarget.Run),
        new("ttrpc", "ttrpc frames and their request/response envelopes (GuestPull.Ttrpc FrameReader)", TtrpcTarget.Run),
        new("auth-challenge", "WWW-Authenticate challenges (GuestPull.Oci AuthChallenge)", AuthChallengeTarget.Run),
        new("registries-conf", "containers-registries.conf v2 (GuestPull.Oci RegistriesConfiguration)", RegistriesConfTarget.Run),
        new("policy-json", "containers-policy.json (GuestPull.Images SignaturePolicy)", PolicyJsonTarget.Run),
        new("agent-toml", "the agent's TOML config (GuestPull.Agent AgentConfigParser)", AgentTomlTarget.Run),
        new("shim-toml", "the shim's TOML config (GuestPull.Shim ShimConfigParser)", ShimTomlTarget.Run),
        new("kata-volume", "the io.katacontainers.volume= mount option, image_guest_pull (GuestPull.Api KataVolumeOption)", KataVolumeTarget.Run),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
