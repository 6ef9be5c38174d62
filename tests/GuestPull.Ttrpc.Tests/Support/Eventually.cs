namespace GuestPull.Ttrpc.Tests.Support;

/// Polls a condition that another thread makes true, with a generous bound instead of a timing assertion.
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(ServerHarness.Patience);
        while (!condition())
        {
            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out after {ServerHarness.Patience} waiting until {what}.");
            }
        }
    }

    public static Task<T> Within<T>(Task<T> task) => task.WaitAsync(ServerHarness.Patience);

    public static Task Within(Task task) => task.WaitAsync(ServerHarness.Patience);
}
