using System.Text;
using GuestPull.Oci.Model;

namespace GuestPull.Oci.Tests.Model;

public sealed class ImageConfigTests
{
    private static readonly string D1 = "sha256:" + new string('a', 64);
    private static readonly string D2 = "sha256:" + new string('b', 64);

    private static ImageConfig Parse(string json) => ImageConfig.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void ParsesTheFieldsARuntimeNeeds()
    {
        var config = Parse($$$"""
            {"architecture":"arm64","variant":"v8","os":"linux","created":"2024-01-01T00:00:00Z",
             "config":{"User":"app:app","Env":["PATH=/bin","A=b=c"],"Entrypoint":["/bin/sh","-c"],"Cmd":["echo hi"],
                       "WorkingDir":"/srv","Labels":{"l":"v"},"ExposedPorts":{"80/tcp":{}},"Volumes":{"/data":{}},"StopSignal":"SIGINT"},
             "rootfs":{"type":"layers","diff_ids":["{{{D1}}}","{{{D2}}}"]},
             "history":[{"created_by":"x"}]}
            """);
        Assert.Equal("linux/arm64/v8", config.Platform.ToString());
        Assert.Equal("app:app", config.User);
        Assert.Equal(["PATH=/bin", "A=b=c"], config.Env);
        Assert.Equal(["/bin/sh", "-c"], config.Entrypoint);
        Assert.Equal(["echo hi"], config.Cmd);
        Assert.Equal("/srv", config.WorkingDir);
        Assert.Equal("v", config.Labels["l"]);
        Assert.Equal(["80/tcp"], config.ExposedPorts);
        Assert.Equal(["/data"], config.Volumes);
        Assert.Equal("SIGINT", config.StopSignal);
        Assert.Equal([D1, D2], config.DiffIds.Select(d => d.ToString()));
    }

    [Theory]
    [InlineData("\"os\":\"linux\",\"architecture\":\"amd64\",\"os\":\"windows\"", "duplicate key \"os\" in the top-level object")]
    [InlineData("\"os\":\"linux\",\"architecture\":\"amd64\",\"config\":{\"User\":\"1000\",\"User\":\"0\"}", "duplicate key \"User\" in $.config")]
    [InlineData("\"os\":\"linux\",\"architecture\":\"amd64\",\"config\":{\"Labels\":{\"x\":\"1\",\"x\":\"2\"}}", "duplicate key \"x\" in $.config.Labels")]
    public void RejectsDuplicateKeysNamingThem(string fields, string reason)
    {
        var json = "{" + fields + $",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"{D1}\"]}}}}";
        var ex = Assert.Throws<OciFormatException>(() => Parse(json));
        Assert.Contains("image config: " + reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsDuplicateDiffIds()
    {
        var json = $"{{\"os\":\"linux\",\"architecture\":\"amd64\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"{D1}\"],\"diff_ids\":[\"{D2}\"]}}}}";
        var ex = Assert.Throws<OciFormatException>(() => Parse(json));
        Assert.Contains("image config: duplicate key \"diff_ids\" in $.rootfs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingCmdIsNullNotEmpty()
    {
        var config = Parse($$$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        Assert.Null(config.Cmd);
        Assert.Null(config.Entrypoint);
        Assert.Empty(config.Env);
        Assert.Null(config.User);

        var empty = Parse($$$"""{"architecture":"amd64","os":"linux","config":{"Cmd":[],"User":""},"rootfs":{"type":"layers","diff_ids":[]}}""");
        Assert.NotNull(empty.Cmd);
        Assert.Empty(empty.Cmd!);
        Assert.Null(empty.User);
    }

    [Theory]
    [InlineData("""{"os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""", "missing \"architecture\"")]
    [InlineData("""{"architecture":"amd64","os":"linux"}""", "missing \"rootfs\"")]
    [InlineData("""{"architecture":"amd64","os":"linux","rootfs":{"type":"squash","diff_ids":[]}}""", "must be \"layers\"")]
    [InlineData("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}}""", "missing \"diff_ids\"")]
    [InlineData("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:1"]}}""", "diff_ids[0]")]
    [InlineData("""{"architecture":"amd64","os":"linux","config":{"Env":"PATH=/bin"},"rootfs":{"type":"layers","diff_ids":[]}}""", "\"Env\" must be an array")]
    [InlineData("""{"architecture":"amd64","os":"linux","config":{"Cmd":[1]},"rootfs":{"type":"layers","diff_ids":[]}}""", "\"Cmd\" must be an array of strings")]
    [InlineData("""{"architecture":"amd64","os":"linux","config":{"Labels":{"a":1}},"rootfs":{"type":"layers","diff_ids":[]}}""", "Labels.a")]
    [InlineData("""nope""", "not valid JSON")]
    public void RejectsMalformedConfigsNamingTheField(string json, string reason)
    {
        var ex = Assert.Throws<OciFormatException>(() => Parse(json));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }
}
