using System.Text.Json.Nodes;
using GuestPull.Images.Spec;
using GuestPull.Oci.Model;
using GuestPull.Testing;

namespace GuestPull.Images.Tests.Spec;

public sealed class RuntimeSpecBuilderTests : IDisposable
{
    private const string Passwd = """
        root:x:0:0:root:/root:/bin/sh
        # a comment
        daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
        app:x:1000:1001:App:/home/app:/bin/sh
        broken-line
        """;

    private const string Group = """
        root:x:0:
        wheel:x:10:root,app
        app:x:1001:
        audio:x:29:daemon,app
        video:x:44:
        """;

    private readonly TempDirectory _temp = TempDirectory.Create("spec");

    public RuntimeSpecBuilderTests()
    {
        Rootfs = _temp.CreateSubdirectory("rootfs");
        Directory.CreateDirectory(Path.Combine(Rootfs, "etc"));
        File.WriteAllText(Path.Combine(Rootfs, "etc", "passwd"), Passwd);
        File.WriteAllText(Path.Combine(Rootfs, "etc", "group"), Group);
    }

    private string Rootfs { get; }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void BuildsProcessFromEntrypointCmdEnvAndWorkingDir()
    {
        var spec = RuntimeSpecBuilder.Build(Config(entrypoint: ["/bin/app", "--serve"], cmd: ["--port", "80"], env: ["A=1"], workingDir: "/srv"), Rootfs);

        Assert.Equal("1.0.2", (string?)spec["ociVersion"]);
        var process = spec["process"]!.AsObject();
        Assert.Equal(["/bin/app", "--serve", "--port", "80"], Strings(process["args"]));
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "A=1"], Strings(process["env"]));
        Assert.Equal("/srv", (string?)process["cwd"]);
        Assert.False((bool)process["terminal"]!);
        Assert.Equal("rootfs", (string?)spec["root"]!["path"]);
    }

    [Fact]
    public void KeepsTheImagePathAndDefaultsCwdToRoot()
    {
        var spec = RuntimeSpecBuilder.Build(Config(cmd: ["sh"], env: ["PATH=/opt/bin"]), Rootfs);

        Assert.Equal(["PATH=/opt/bin"], Strings(spec["process"]!["env"]));
        Assert.Equal("/", (string?)spec["process"]!["cwd"]);
        Assert.Equal(["sh"], Strings(spec["process"]!["args"]));
    }

    [Fact]
    public void NothingToRunIsAnError()
    {
        var error = Assert.Throws<RuntimeSpecException>(() => RuntimeSpecBuilder.Build(Config(entrypoint: [], cmd: null), Rootfs));
        Assert.Contains("neither Entrypoint nor Cmd", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelsBecomeAnnotationsAndDefaultsMatchContainerd()
    {
        var config = Config(cmd: ["sh"]) with { Labels = new Dictionary<string, string> { ["org.example.team"] = "infra", ["version"] = "3" } };
        var spec = RuntimeSpecBuilder.Build(config, Rootfs);

        Assert.Equal("infra", (string?)spec["annotations"]!["org.example.team"]);
        Assert.Equal("3", (string?)spec["annotations"]!["version"]);
        var mounts = spec["mounts"]!.AsArray().Select(m => (string?)m!["destination"]).ToList();
        Assert.Equal(["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"], mounts);
        Assert.Contains("ro", Strings(spec["mounts"]![5]!["options"]));
        Assert.Contains("ro", Strings(spec["mounts"]![6]!["options"]));
        Assert.Equal(["pid", "ipc", "uts", "mount", "network"], spec["linux"]!["namespaces"]!.AsArray().Select(n => (string?)n!["type"]));
        var capabilities = Strings(spec["process"]!["capabilities"]!["bounding"]);
        Assert.Equal(14, capabilities.Count);
        Assert.Contains("CAP_NET_BIND_SERVICE", capabilities);
        Assert.DoesNotContain("CAP_SYS_ADMIN", capabilities);
        Assert.Contains("/proc/kcore", Strings(spec["linux"]!["maskedPaths"]));
        Assert.Contains("/proc/sysrq-trigger", Strings(spec["linux"]!["readonlyPaths"]));
        var rlimit = spec["process"]!["rlimits"]![0]!;
        Assert.Equal("RLIMIT_NOFILE", (string?)rlimit["type"]);
        Assert.Equal(1024u, (uint)rlimit["hard"]!);
    }

    [Theory]
    [InlineData(null, 0u, 0u, new uint[] { 0, 10 })]
    [InlineData("app", 1000u, 1001u, new uint[] { 1001, 10, 29 })]
    [InlineData("1000", 1000u, 1001u, new uint[] { 1001, 10, 29 })]
    [InlineData("app:video", 1000u, 44u, new uint[] { 44, 10, 29 })]
    [InlineData("app:5", 1000u, 5u, new uint[] { 5, 10, 29 })]
    [InlineData("4242", 4242u, 0u, new uint[] { 0 })]
    [InlineData("4242:4343", 4242u, 4343u, new uint[] { 4343 })]
    [InlineData("daemon", 1u, 1u, new uint[] { 1, 29 })]
    public void ResolvesUsersAgainstTheImagesOwnFiles(string? user, uint uid, uint gid, uint[] additionalGids)
    {
        var spec = RuntimeSpecBuilder.Build(Config(cmd: ["sh"]) with { User = user }, Rootfs);

        var resolved = spec["process"]!["user"]!;
        Assert.Equal(uid, (uint)resolved["uid"]!);
        Assert.Equal(gid, (uint)resolved["gid"]!);
        Assert.Equal(additionalGids, resolved["additionalGids"]!.AsArray().Select(g => (uint)g!));
    }

    [Theory]
    [InlineData("nobody", "image user \"nobody\" not found in the image's /etc/passwd")]
    [InlineData("app:staff", "image group \"staff\" not found in the image's /etc/group")]
    [InlineData(":100", "malformed")]
    [InlineData("app:", "malformed")]
    [InlineData("99999999999", "out of range")]
    public void UnknownOrMalformedUsersAreClearErrors(string user, string expected)
    {
        var error = Assert.Throws<RuntimeSpecException>(() => RuntimeSpecBuilder.Build(Config(cmd: ["sh"]) with { User = user }, Rootfs));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANamedUserNeedsAnEtcPasswd()
    {
        File.Delete(Path.Combine(Rootfs, "etc", "passwd"));

        var error = Assert.Throws<RuntimeSpecException>(() => RuntimeSpecBuilder.Build(Config(cmd: ["sh"]) with { User = "app" }, Rootfs));

        Assert.Contains("the image has no /etc/passwd", error.Message, StringComparison.Ordinal);
        Assert.Equal(7u, (uint)RuntimeSpecBuilder.Build(Config(cmd: ["sh"]) with { User = "7" }, Rootfs)["process"]!["user"]!["uid"]!);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void APasswdSymlinkPointingOutsideTheRootIsResolvedInsideIt(bool absolute)
    {
        var outside = _temp.CreateSubdirectory("host-etc");
        File.WriteAllText(Path.Combine(outside, "passwd"), "intruder:x:4242:4242::/:/bin/sh\n");
        var link = Path.Combine(Rootfs, "etc", "passwd");
        File.Delete(link);
        File.CreateSymbolicLink(link, absolute ? Path.Combine(outside, "passwd") : "../../../../../../../../" + Path.Combine(outside, "passwd").TrimStart('/'));

        var error = Assert.Throws<RuntimeSpecException>(() => RuntimeSpecBuilder.Build(Config(cmd: ["sh"]) with { User = "intruder" }, Rootfs));

        Assert.Contains("/etc/passwd", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APasswdSymlinkInsideTheImageIsFollowed()
    {
        Directory.CreateDirectory(Path.Combine(Rootfs, "usr", "share", "base"));
        File.Move(Path.Combine(Rootfs, "etc", "passwd"), Path.Combine(Rootfs, "usr", "share", "base", "passwd"));
        File.CreateSymbolicLink(Path.Combine(Rootfs, "etc", "passwd"), "/usr/share/base/passwd");

        var spec = RuntimeSpecBuilder.Build(Config(cmd: ["sh"]) with { User = "app" }, Rootfs);

        Assert.Equal(1000u, (uint)spec["process"]!["user"]!["uid"]!);
    }

    private static ImageConfig Config(IReadOnlyList<string>? entrypoint = null, IReadOnlyList<string>? cmd = null, IReadOnlyList<string>? env = null, string? workingDir = null) => new()
    {
        Platform = new Platform("linux", "amd64"),
        DiffIds = [],
        Entrypoint = entrypoint,
        Cmd = cmd,
        Env = env ?? [],
        WorkingDir = workingDir,
    };

    private static List<string?> Strings(JsonNode? array) => array!.AsArray().Select(n => (string?)n).ToList();
}
