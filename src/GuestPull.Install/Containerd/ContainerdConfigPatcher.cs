using GuestPull.Install.Toml;
using Tomlyn;
using Tomlyn.Model;

namespace GuestPull.Install.Containerd;

/// <summary>
/// Puts GuestPull into a containerd config and takes it out again, editing the TOML document
/// (comments, order and unrelated tables untouched): the proxy plugin, snapshot annotations on,
/// unpacked layers kept, GuestPull's runtime, and the snapshotter either globally or per runtime handler.
/// </summary>
internal static class ContainerdConfigPatcher
{
    /// <summary>The config schema version: the <c>version</c> key, 1 when it is missing.</summary>
    public static int ReadVersion(string text, string source)
    {
        TomlTable model;
        try
        {
            model = TomlSerializer.Deserialize<TomlTable>(text) ?? new TomlTable();
        }
        catch (TomlException ex)
        {
            throw new InstallException($"{source} is not valid TOML: {ex.Message}", ex);
        }
        if (!model.TryGetValue("version", out var version))
        {
            return 1;
        }
        return version is long number and >= 1 and <= int.MaxValue
            ? (int)number
            : throw new InstallException($"{source}: 'version' must be an integer, got '{version}'");
    }

    public static ContainerdConfigPatch Apply(string text, string source, ContainerdConfigRequest request)
    {
        var version = ReadVersion(text, source);
        var layout = ContainerdConfigLayout.ForVersion(version, source);
        var editor = Open(text, source);
        var changes = new List<ConfigChange>();
        var created = new List<string[]>();

        void Set(IReadOnlyList<string> table, string key, string valueText)
        {
            if (editor.FindKeyDefinedTable(table) is { } line)
            {
                throw new InstallException(
                    $"{source} defines [{Header(table)}] through dotted keys or an inline table ('{line}'), which GuestPull " +
                    "does not edit; write that table with a [header] of its own and retry");
            }
            if (!editor.HasTable(table))
            {
                created.Add([.. table]);
            }
            var previous = editor.SetValue(table, key, valueText);
            if (previous != valueText)
            {
                changes.Add(new ConfigChange([.. table], key, previous, valueText));
            }
        }

        var snapshotter = TomlDocumentEditor.Quote(request.SnapshotterName);
        var proxy = ContainerdConfigLayout.ProxyPlugin(request.SnapshotterName);
        Set(proxy, "type", "\"snapshot\"");
        Set(proxy, "address", TomlDocumentEditor.Quote(request.SnapshotterAddress));
        Set(layout.ImageSettingsTable, "disable_snapshot_annotations", "false");
        Set(layout.ImageSettingsTable, "discard_unpacked_layers", "false");
        // containerd replaces its whole default runtimes map with the config's: a config that declared no
        // runtime (containerd's defaults) would lose runc — and with it default_runtime_name — the moment
        // GuestPull's runtime appears, and the CRI plugin would refuse to load. Declare the default one too.
        var runtimeSettings = layout.RuntimesTable.Take(layout.RuntimesTable.Count - 1).ToArray();
        var defaultRuntime = UnquoteOrNull(editor.GetValueText(runtimeSettings, "default_runtime_name")) ?? "runc";
        if (defaultRuntime != request.RuntimeHandler && !editor.HasTable(layout.Runtime(defaultRuntime)))
        {
            Set(layout.Runtime(defaultRuntime), "runtime_type", TomlDocumentEditor.Quote("io.containerd.runc.v2"));
        }

        Set(layout.Runtime(request.RuntimeHandler), "runtime_type", TomlDocumentEditor.Quote(request.RuntimeType));

        IReadOnlyList<string> handlers = [];
        if (request.RuntimeSpecific)
        {
            handlers = request.RuntimeHandlers ?? DefaultHandlers(editor, layout, request.RuntimeHandler);
            foreach (var handler in handlers)
            {
                if (handler != request.RuntimeHandler && !editor.HasTable(layout.Runtime(handler)))
                {
                    throw new InstallException(
                        $"runtime handler '{handler}' is not declared in {source} (no [{Header(layout.Runtime(handler))}] table); " +
                        "declare the runtime first or leave it out of --runtime-handlers");
                }
                Set(layout.Runtime(handler), "snapshotter", snapshotter);
                // containerd 2.0-2.2 pick a pod's pull snapshotter from the images service's
                // runtime_platforms only; without it CRI pulls into overlayfs and later unpacks that host
                // copy into GuestPull's snapshotter. Written on every version 3 file: containerd 2.3+
                // reads the runtime's own key as well, so an upgrade or a downgrade of containerd keeps
                // working without a re-install. An empty platform means the node's own.
                if (layout.RuntimePlatform(handler) is { } platform)
                {
                    Set(platform, "snapshotter", snapshotter);
                }
            }
        }
        else
        {
            Set(layout.ImageSettingsTable, "snapshotter", snapshotter);
        }

        var result = editor.ToString();
        Verify(result, source, changes);
        return new ContainerdConfigPatch(result, version, changes, created, handlers);
    }

    /// <summary>
    /// Undoes recorded changes on the current text: a key goes back to its old value only while it still
    /// holds what GuestPull wrote; tables GuestPull created go when they are left empty.
    /// </summary>
    public static string Revert(string text, string source, IReadOnlyList<ConfigChange> changes, IReadOnlyList<string[]> createdTables)
    {
        var editor = Open(text, source);
        foreach (var change in changes.Reverse())
        {
            if (editor.GetValueText(change.Table, change.Key) != change.Applied)
            {
                continue;
            }
            if (change.Previous is null)
            {
                editor.RemoveKey(change.Table, change.Key);
            }
            else
            {
                editor.SetValue(change.Table, change.Key, change.Previous);
            }
        }
        foreach (var table in createdTables.Reverse())
        {
            if (editor.IsEmptyTable(table) && editor.ChildTableNames(table).Count == 0)
            {
                editor.RemoveTableTree(table);
            }
        }
        return editor.ToString();
    }

    /// <summary>
    /// Takes GuestPull out without a record of what it changed (its state was lost): its proxy plugin and
    /// runtime go, and every <c>snapshotter = NAME</c> goes back to containerd's default. Annotation and
    /// layer settings stay, since nothing says what they were.
    /// </summary>
    public static string RemoveWithoutRecord(string text, string source, ContainerdConfigRequest request)
    {
        var version = ReadVersion(text, source);
        var layout = ContainerdConfigLayout.ForVersion(version, source);
        var editor = Open(text, source);
        var snapshotter = TomlDocumentEditor.Quote(request.SnapshotterName);
        editor.RemoveTableTree(ContainerdConfigLayout.ProxyPlugin(request.SnapshotterName));
        editor.RemoveTableTree(layout.Runtime(request.RuntimeHandler));
        if (editor.GetValueText(layout.ImageSettingsTable, "snapshotter") == snapshotter)
        {
            editor.RemoveKey(layout.ImageSettingsTable, "snapshotter");
        }
        foreach (var handler in editor.ChildTableNames(layout.RuntimesTable))
        {
            if (editor.GetValueText(layout.Runtime(handler), "snapshotter") == snapshotter)
            {
                editor.RemoveKey(layout.Runtime(handler), "snapshotter");
            }
        }
        if (layout.RuntimePlatformsTable is { } platforms)
        {
            foreach (var handler in editor.ChildTableNames(platforms))
            {
                IReadOnlyList<string> table = [.. platforms, handler];
                if (editor.GetValueText(table, "snapshotter") == snapshotter)
                {
                    editor.RemoveKey(table, "snapshotter");
                    // An entry that only named GuestPull's snapshotter would otherwise stay as an empty table.
                    if (editor.IsEmptyTable(table) && editor.ChildTableNames(table).Count == 0)
                    {
                        editor.RemoveTableTree(table);
                    }
                }
            }
        }
        return editor.ToString();
    }

    /// <summary>GuestPull's handler plus every Kata runtime the config declares (runtime_type io.containerd.kata*).</summary>
    public static IReadOnlyList<string> DefaultHandlers(TomlDocumentEditor editor, ContainerdConfigLayout layout, string ownHandler)
    {
        var handlers = new List<string> { ownHandler };
        foreach (var name in editor.ChildTableNames(layout.RuntimesTable))
        {
            var type = editor.GetValueText(layout.Runtime(name), "runtime_type");
            if (name != ownHandler && type is not null && type.Contains("io.containerd.kata", StringComparison.Ordinal))
            {
                handlers.Add(name);
            }
        }
        return handlers;
    }

    private static string? UnquoteOrNull(string? valueText) =>
        valueText is null ? null : TomlSerializer.Deserialize<TomlTable>($"v = {valueText}")!["v"] as string;

    public static TomlDocumentEditor Open(string text, string source)
    {
        try
        {
            return TomlDocumentEditor.Parse(text, source);
        }
        catch (FormatException ex)
        {
            throw new InstallException(ex.Message, ex);
        }
    }

    public static string Header(IReadOnlyList<string> table) => string.Join('.', table.Select(TomlDocumentEditor.FormatKey));

    // The syntax edit only touches [table] headers and plain keys; a config that sets the same thing with
    // dotted keys or inline tables would come out with two definitions or a shadowed value. Check the meaning.
    private static void Verify(string text, string source, IReadOnlyList<ConfigChange> changes)
    {
        TomlTable model;
        try
        {
            model = TomlSerializer.Deserialize<TomlTable>(text) ?? new TomlTable();
        }
        catch (TomlException ex)
        {
            throw new InstallException(
                $"editing {source} would make it invalid ({ex.Message}); it probably defines the CRI or proxy_plugins settings " +
                "with dotted keys or inline tables, which GuestPull does not edit. Write them as [table] headers and retry.", ex);
        }
        foreach (var change in changes)
        {
            var expected = TomlSerializer.Deserialize<TomlTable>($"v = {change.Applied}")!["v"];
            object? actual = model;
            foreach (var part in change.Table.Append(change.Key))
            {
                actual = actual is TomlTable table && table.TryGetValue(part, out var next) ? next : null;
            }
            if (!Equals(actual, expected))
            {
                throw new InstallException(
                    $"editing {source} did not take: {Header(change.Table)}.{change.Key} reads '{actual}' instead of {change.Applied}; " +
                    "the config sets it in a way GuestPull does not edit (dotted keys or inline tables).");
            }
        }
    }
}
