namespace GuestPull.Agent.Containers;

/// <summary>A container the agent made: its bundle, its own process and the processes exec'd in it.</summary>
internal sealed class Container
{
    private readonly Dictionary<string, ContainerProcess> _execs = new(StringComparer.Ordinal);

    public Container(string id, string bundle, string image, ContainerProcess init)
    {
        Id = id;
        Bundle = bundle;
        Image = image;
        Init = init;
    }

    public string Id { get; }

    public string Bundle { get; }

    /// <summary>The image reference pulled for it, or "pause".</summary>
    public string Image { get; }

    public ContainerProcess Init { get; }

    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Serialises operations on this container (start, exec, remove).</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public bool Removed { get; set; }

    public IReadOnlyCollection<ContainerProcess> Execs
    {
        get
        {
            lock (_execs)
            {
                return [.. _execs.Values];
            }
        }
    }

    public bool TryAddExec(ContainerProcess process)
    {
        lock (_execs)
        {
            return _execs.TryAdd(process.ExecId, process);
        }
    }

    public void RemoveExec(string execId)
    {
        lock (_execs)
        {
            _execs.Remove(execId);
        }
    }

    /// <summary>The container's own process for an empty exec id, else that exec'd process; null when unknown.</summary>
    public ContainerProcess? FindProcess(string execId)
    {
        if (execId.Length == 0)
        {
            return Init;
        }

        lock (_execs)
        {
            return _execs.GetValueOrDefault(execId);
        }
    }
}
