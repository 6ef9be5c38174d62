using GuestPull.Configuration.Sandbox;
using GuestPull.Shim.Configuration;
using GuestPull.Shim.Daemon;
using GuestPull.Shim.Events;
using GuestPull.Shim.Sandbox;

namespace GuestPull.Shim.Tasks;

/// <summary>What the task service of one pod's shim works with.</summary>
internal sealed record TaskServiceOptions(
    string SandboxId,
    ShimLayout Layout,
    ShimConfig Config,
    Func<SandboxKind, ISandboxBackend> BackendFor,
    IEventSink Events);
