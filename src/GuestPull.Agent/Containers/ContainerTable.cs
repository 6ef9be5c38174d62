using GuestPull.Ttrpc;

namespace GuestPull.Agent.Containers;

/// <summary>
/// The agent's containers by id. A container id is reserved (a null entry) while its bundle is built, so two
/// creates of one id cannot race; <see cref="CreateAsync"/> is the one place that reserves and rolls back.
/// </summary>
internal sealed class ContainerTable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Container?> _containers = new(StringComparer.Ordinal);

    /// <summary>
    /// Reserves <paramref name="id"/>, builds the bundle of <paramref name="plan"/> and adds the container;
    /// on any failure the reservation is released (the plan's build leaves no bundle behind).
    /// </summary>
    /// <exception cref="TtrpcException">AlreadyExists when the id is taken or its bundle directory exists.</exception>
    public async Task<Container> CreateAsync(string id, ContainerBundlePlan plan, CancellationToken cancellationToken)
    {
        Reserve(id);
        try
        {
            if (Directory.Exists(plan.Bundle) || File.Exists(plan.Bundle))
            {
                throw new TtrpcException(TtrpcStatusCode.AlreadyExists, $"bundle directory {plan.Bundle} already exists: remove container {id} first");
            }

            await plan.BuildAsync(cancellationToken).ConfigureAwait(false);
            var container = new Container(id, plan.Bundle, plan.Image, new ContainerProcess(string.Empty, Path.Combine(plan.Bundle, "init.pid")));
            lock (_gate)
            {
                _containers[id] = container;
            }

            return container;
        }
        catch
        {
            lock (_gate)
            {
                if (_containers.TryGetValue(id, out var placeholder) && placeholder is null)
                {
                    _containers.Remove(id);
                }
            }

            throw;
        }
    }

    /// <summary>The container; NotFound when it does not exist (or is still being created).</summary>
    public Container Find(string containerId)
    {
        lock (_gate)
        {
            return _containers.GetValueOrDefault(containerId)
                ?? throw new TtrpcException(TtrpcStatusCode.NotFound, $"container \"{containerId}\" does not exist");
        }
    }

    public void Remove(string containerId)
    {
        lock (_gate)
        {
            _containers.Remove(containerId);
        }
    }

    /// <summary>The created containers (not the reservations).</summary>
    public Container[] Snapshot()
    {
        lock (_gate)
        {
            return [.. _containers.Values.OfType<Container>()];
        }
    }

    private void Reserve(string id)
    {
        lock (_gate)
        {
            if (!_containers.TryAdd(id, null))
            {
                throw new TtrpcException(TtrpcStatusCode.AlreadyExists, $"container {id} already exists");
            }
        }
    }
}
