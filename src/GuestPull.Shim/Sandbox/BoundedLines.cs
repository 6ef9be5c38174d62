namespace GuestPull.Shim.Sandbox;

/// <summary>The last lines a process wrote, for error messages.</summary>
internal sealed class BoundedLines
{
    private readonly Queue<string> _lines = new();
    private readonly int _capacity;

    public BoundedLines(int capacity) => _capacity = capacity;

    public void Add(string line)
    {
        lock (_lines)
        {
            _lines.Enqueue(line);
            while (_lines.Count > _capacity)
            {
                _lines.Dequeue();
            }
        }
    }

    public override string ToString()
    {
        lock (_lines)
        {
            return string.Join('\n', _lines);
        }
    }
}
