using System.Text;
using GuestPull.Shim.Vm;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Shim.Tests.Vm;

public sealed class CpioArchiveWriterTests
{
    [Fact]
    [Trait(Requires.Trait, Requires.Components)]
    public async Task GnuCpioExtractsWhatItWrites()
    {
        var writer = new CpioArchiveWriter();
        writer.AddFile("/etc/guestpull/agent.toml", Encoding.UTF8.GetBytes("pull_concurrency = 2\n"), (UnixFileMode)0b110_100_100);
        writer.AddFile("/etc/guestpull/initdata/auth_file/auth.json", Encoding.UTF8.GetBytes("{}"), (UnixFileMode)0b110_000_000);
        writer.AddDirectory("/etc/containers/certs.d/reg:5000", (UnixFileMode)0b111_101_101);
        var archive = writer.Finish();

        using var directory = TempDirectory.Create("cpio");
        var result = await ProcessRunner.RunAsync("cpio", ["-idm", "--quiet", "--no-absolute-filenames", "-D", directory.Path], new ProcessRunOptions { StandardInput = archive });

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("pull_concurrency = 2\n", await File.ReadAllTextAsync(directory.Combine("etc/guestpull/agent.toml")));
        Assert.Equal("{}", await File.ReadAllTextAsync(directory.Combine("etc/guestpull/initdata/auth_file/auth.json")));
        Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(directory.Combine("etc/guestpull/initdata/auth_file/auth.json")));
        Assert.True(Directory.Exists(directory.Combine("etc/containers/certs.d/reg:5000")));
    }

    [Fact]
    public void TheSameEntriesGiveTheSameBytes()
    {
        static byte[] Build()
        {
            var writer = new CpioArchiveWriter();
            writer.AddFile("/a/b", "x"u8, (UnixFileMode)0b110_100_100);
            return writer.Finish();
        }

        Assert.Equal(Build(), Build());
        Assert.Equal(0, Build().Length % 4);
    }

    [Theory]
    [InlineData("relative/path")]
    [InlineData("/etc/../escape")]
    public void PathsThatAreNotAbsoluteAndCleanAreRefused(string path)
    {
        var writer = new CpioArchiveWriter();

        Assert.Throws<ArgumentException>(() => writer.AddFile(path, "x"u8, (UnixFileMode)0b110_100_100));
    }
}
