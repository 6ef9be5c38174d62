using System.Net.Http.Headers;
using GuestPull.Oci.Registry;

namespace GuestPull.Oci.Tests.Registry;

public sealed class RetryDelayTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void GrowsExponentiallyWithJitterUpToTheCap()
    {
        var baseDelay = TimeSpan.FromMilliseconds(100);
        var cap = TimeSpan.FromSeconds(1);
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var nominal = 100 * Math.Pow(2, attempt - 1);
            var delay = RetryDelay.Compute(attempt, baseDelay, cap, null, Now).TotalMilliseconds;
            Assert.InRange(delay, nominal * 0.75, nominal * 1.25);
        }

        Assert.Equal(cap, RetryDelay.Compute(20, baseDelay, cap, null, Now));
    }

    [Fact]
    public void HonoursRetryAfterSecondsAndDatesWithinTheCap()
    {
        var cap = TimeSpan.FromSeconds(30);
        Assert.Equal(TimeSpan.FromSeconds(7), RetryDelay.Compute(1, TimeSpan.FromMilliseconds(100), cap, new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)), Now));
        Assert.Equal(TimeSpan.FromSeconds(12), RetryDelay.Compute(1, TimeSpan.FromMilliseconds(100), cap, new RetryConditionHeaderValue(Now.AddSeconds(12)), Now));
        Assert.Equal(cap, RetryDelay.Compute(1, TimeSpan.FromMilliseconds(100), cap, new RetryConditionHeaderValue(TimeSpan.FromHours(1)), Now));
    }
}
