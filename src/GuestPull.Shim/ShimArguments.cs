namespace GuestPull.Shim;

/// <summary>
/// The command line containerd gives a v2 shim, in Go's flag syntax:
/// <c>-namespace NS -address SOCK -publish-binary BIN -id ID [-bundle DIR] [-debug] start|delete</c>,
/// plus GuestPull's <c>-socket PATH serve</c> for the detached daemon.
/// </summary>
public sealed class ShimArguments
{
    /// <summary>containerd's namespace, such as <c>k8s.io</c>.</summary>
    public required string Namespace { get; init; }

    /// <summary>containerd's gRPC socket (used to derive the shim socket's name).</summary>
    public required string Address { get; init; }

    /// <summary>The containerd binary for publishing events (unused: events go over ttrpc).</summary>
    public string? PublishBinary { get; init; }

    /// <summary>The task (container) id.</summary>
    public required string Id { get; init; }

    /// <summary>The bundle directory; containerd passes it for <c>delete</c> and runs <c>start</c> in it.</summary>
    public string? Bundle { get; init; }

    /// <summary>Whether containerd runs at debug level.</summary>
    public bool Debug { get; init; }

    /// <summary>The socket the daemon serves on (serve only).</summary>
    public string? Socket { get; init; }

    /// <summary>The pod (sandbox) id the daemon serves (serve only; defaults to <see cref="Id"/>).</summary>
    public string? Group { get; init; }

    /// <summary>The action.</summary>
    public required ShimAction Action { get; init; }

    /// <summary>Parses containerd's arguments; flags take <c>-name value</c>, <c>-name=value</c> or <c>--name</c> forms.</summary>
    /// <param name="args">The arguments after <c>guestpull shim</c>.</param>
    /// <exception cref="ShimException">An unknown flag, a missing value or action, or a required flag left out.</exception>
    public static ShimArguments Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var debug = false;
        ShimAction? action = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-') || arg == "-")
            {
                if (action is not null)
                {
                    throw new ShimException($"shim: unexpected argument \"{arg}\" after the action");
                }

                action = arg switch
                {
                    "start" => ShimAction.Start,
                    "delete" => ShimAction.Delete,
                    "serve" => ShimAction.Serve,
                    _ => throw new ShimException($"shim: unknown action \"{arg}\" (expected start, delete or serve)"),
                };
                continue;
            }

            var name = arg.TrimStart('-');
            string? value = null;
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }

            if (name is "debug" or "v")
            {
                debug = value is null || bool.Parse(value);
                continue;
            }

            if (name is not ("namespace" or "address" or "publish-binary" or "id" or "bundle" or "socket" or "group"))
            {
                throw new ShimException($"shim: unknown flag \"{arg}\"");
            }

            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    throw new ShimException($"shim: flag \"-{name}\" needs a value");
                }

                value = args[++i];
            }

            values[name] = value;
        }

        return new ShimArguments
        {
            Namespace = Required(values, "namespace"),
            Address = values.GetValueOrDefault("address") ?? string.Empty,
            PublishBinary = values.GetValueOrDefault("publish-binary"),
            Id = Required(values, "id"),
            Bundle = values.GetValueOrDefault("bundle"),
            Socket = values.GetValueOrDefault("socket"),
            Group = values.GetValueOrDefault("group"),
            Debug = debug,
            Action = action ?? throw new ShimException("shim: no action given (expected start, delete or serve)"),
        };
    }

    /// <summary>The arguments that start the daemon for this invocation.</summary>
    internal IReadOnlyList<string> ForServe(string socket, string group)
    {
        var list = new List<string> { "-namespace", Namespace, "-address", Address };
        if (PublishBinary is not null)
        {
            list.AddRange(["-publish-binary", PublishBinary]);
        }

        list.AddRange(["-id", Id, "-socket", socket, "-group", group]);
        if (Bundle is not null)
        {
            list.AddRange(["-bundle", Bundle]);
        }

        if (Debug)
        {
            list.Add("-debug");
        }

        list.Add("serve");
        return list;
    }

    private static string Required(Dictionary<string, string> values, string name) =>
        values.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new ShimException($"shim: flag \"-{name}\" is required");
}
