using GuestPull.Ttrpc;

namespace GuestPull.Shim.Tasks;

/// <summary>
/// The pod's containers by id, with their execs, behind one lock: the task service's requests come in concurrently.
/// </summary>
internal sealed class ShimContainerTable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ShimContainer> _containers = new(StringComparer.Ordinal);

    /// <summary>True when no container is left.</summary>
    public bool IsEmpty
    {
        get
        {
            lock (_gate)
            {
                return _containers.Count == 0;
            }
        }
    }

    public bool Contains(string id)
    {
        lock (_gate)
        {
            return _containers.ContainsKey(id);
        }
    }

    public void Add(ShimContainer container)
    {
        lock (_gate)
        {
            _containers.Add(container.Id, container);
        }
    }

    public void Remove(string id)
    {
        lock (_gate)
        {
            _containers.Remove(id);
        }
    }

    /// <summary>The host pid of the container's own process; 0 when the container is unknown or not started.</summary>
    public uint InitPidOf(string id)
    {
        lock (_gate)
        {
            return _containers.TryGetValue(id, out var container) ? container.Init.Pid : 0;
        }
    }

    /// <summary>The container and its own process (empty <paramref name="execId"/>) or one of its execs; NotFound otherwise.</summary>
    public (ShimContainer Container, ShimProcess Process) Find(string id, string execId)
    {
        lock (_gate)
        {
            if (!_containers.TryGetValue(id, out var container))
            {
                throw new TtrpcException(TtrpcStatusCode.NotFound, $"container {id}: not found");
            }

            if (string.IsNullOrEmpty(execId))
            {
                return (container, container.Init);
            }

            return container.Execs.TryGetValue(execId, out var process)
                ? (container, process)
                : throw new TtrpcException(TtrpcStatusCode.NotFound, $"exec {execId} of container {id}: not found");
        }
    }

    /// <summary>Adds an exec to the container; false when its exec id is taken.</summary>
    public bool TryAddExec(ShimContainer container, ShimProcess exec)
    {
        lock (_gate)
        {
            return container.Execs.TryAdd(exec.ExecId, exec);
        }
    }

    public void RemoveExec(ShimContainer container, string execId)
    {
        lock (_gate)
        {
            container.Execs.Remove(execId);
        }
    }

    /// <summary>The host pids of the container's running processes (its own and its execs').</summary>
    public IReadOnlyList<uint> RunningPids(ShimContainer container)
    {
        var pids = new List<uint>();
        lock (_gate)
        {
            foreach (var process in container.Execs.Values.Prepend(container.Init))
            {
                if (process is { Status: ProcessStatus.Running, Pid: > 0 })
                {
                    pids.Add(process.Pid);
                }
            }
        }

        return pids;
    }
}
