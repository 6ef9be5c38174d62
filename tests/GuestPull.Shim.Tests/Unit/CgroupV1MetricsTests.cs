using GuestPull.Shim.Tasks;

namespace GuestPull.Shim.Tests.Unit;

public sealed class CgroupV1MetricsTests
{
    [Fact]
    public void ReadsCpuMemoryAndPidsOfTheContainersCgroups()
    {
        var root = Directory.CreateTempSubdirectory("guestpull-test-shim-cgroups-");
        try
        {
            Write(root.FullName, "cpuacct/pod/c1/cpuacct.usage", "123456789\n");
            Write(root.FullName, "cpuacct/pod/c1/cpuacct.stat", "user 7\nsystem 3\n");
            Write(root.FullName, "memory/pod/c1/memory.usage_in_bytes", "4096\n");
            Write(root.FullName, "memory/pod/c1/memory.limit_in_bytes", "9223372036854771712\n");
            Write(root.FullName, "memory/pod/c1/memory.stat", "cache 10\nrss 20\ntotal_inactive_file 30\n");
            Write(root.FullName, "pids/pod/c1/pids.current", "2\n");
            Write(root.FullName, "pids/pod/c1/pids.max", "max\n");

            var metrics = CgroupV1Metrics.TryRead("/pod/c1", root.FullName);

            Assert.NotNull(metrics);
            Assert.Equal(123456789ul, metrics.Cpu.Usage.Total);
            Assert.Equal(70_000_000ul, metrics.Cpu.Usage.User);
            Assert.Equal(30_000_000ul, metrics.Cpu.Usage.Kernel);
            Assert.Equal(4096ul, metrics.Memory.Usage.Usage);
            Assert.Equal(9223372036854771712ul, metrics.Memory.Usage.Limit);
            Assert.Equal(10ul, metrics.Memory.Cache);
            Assert.Equal(20ul, metrics.Memory.Rss);
            Assert.Equal(30ul, metrics.Memory.TotalInactiveFile);
            Assert.Equal(2ul, metrics.Pids.Current);
            Assert.Equal(0ul, metrics.Pids.Limit);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("kubepods.slice:cri-containerd:c1")]
    [InlineData("relative/c1")]
    [InlineData("/../../etc")]
    [InlineData("/no/such/cgroup")]
    public void PathsItCannotReadGiveNoMetrics(string? path) => Assert.Null(CgroupV1Metrics.TryRead(path, Path.GetTempPath()));

    private static void Write(string root, string relative, string text)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
