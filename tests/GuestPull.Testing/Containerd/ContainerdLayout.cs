namespace GuestPull.Testing.Containerd;

/// Where one private containerd keeps everything, all under <see cref="Directory"/>.
public sealed record ContainerdLayout(string Directory)
{
    public string ConfigPath => Path.Combine(Directory, "config.toml");

    public string RootDirectory => Path.Combine(Directory, "root");

    public string StateDirectory => Path.Combine(Directory, "state");

    public string OptDirectory => Path.Combine(Directory, "opt");

    public string CniBinDirectory => Path.Combine(Directory, "cni", "bin");

    public string CniConfDirectory => Path.Combine(Directory, "cni", "conf");

    /// CRI's registry `config_path` (version 3 configs): one `HOST:PORT/hosts.toml` per plain-HTTP registry.
    public string RegistryHostsDirectory => Path.Combine(Directory, "certs.d");

    /// The gRPC socket (`ctr --address`, CRI clients).
    public string GrpcAddress => Path.Combine(Directory, "grpc.sock");

    /// The ttrpc socket shims publish events to (`TTRPC_ADDRESS`).
    public string TtrpcAddress => Path.Combine(Directory, "ttrpc.sock");
}
