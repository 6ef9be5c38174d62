using System.Security.Cryptography;
using System.Text;
using GuestPull.Shim.Configuration;

namespace GuestPull.Shim.Daemon;

/// <summary>Where one pod's shim keeps its socket and state, derived as containerd's runc shim derives its socket.</summary>
internal sealed record ShimLayout(string Socket, string StateDirectory)
{
    // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
    public const int MaxSocketPath = 107;

    public string AgentSocket => Path.Combine(StateDirectory, "agent.sock");

    public string AgentConfig => Path.Combine(StateDirectory, "agent.toml");

    public string SandboxPidFile => Path.Combine(StateDirectory, "sandbox.pid");

    public string SharedDirectoryFile => Path.Combine(StateDirectory, "shared-dir");

    public string Address => "unix://" + Socket;

    public static ShimLayout For(ShimConfig config, string containerdAddress, string containerdNamespace, string group)
    {
        ValidateName(containerdNamespace, "namespace");
        ValidateName(group, "sandbox id");
        var socket = Path.Combine(config.SocketDirectory, SocketName(containerdAddress, containerdNamespace, group));
        var state = Path.Combine(config.StateRoot, containerdNamespace, group);
        var layout = new ShimLayout(socket, state);
        foreach (var path in new[] { layout.Socket, layout.AgentSocket })
        {
            if (Encoding.UTF8.GetByteCount(path) > MaxSocketPath)
            {
                throw new ShimException($"the socket path {path} is longer than {MaxSocketPath} bytes; choose a shorter socket_dir or state_root");
            }
        }

        return layout;
    }

    /// <summary>The socket's file name: hex SHA-256 of "address/namespace/group", so one pod maps to one socket.</summary>
    public static string SocketName(string containerdAddress, string containerdNamespace, string group)
    {
        var key = string.Join('/', containerdAddress.TrimEnd('/'), containerdNamespace, group);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }

    // Names become path components: refuse anything that could leave the state root.
    private static void ValidateName(string value, string what)
    {
        if (value.Length is 0 or > 128 || value is "." or ".." || value.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
        {
            throw new ShimException($"invalid {what} \"{value}\": use 1-128 characters from [A-Za-z0-9_.-]");
        }
    }
}
