using System.Text.Json.Nodes;
using GuestPull.Shim.Rootfs;
using GuestPull.Testing.Traits;

namespace GuestPull.Shim.Tests.Unit;

[Trait(Requires.Trait, Requires.Root)]
public sealed class SpecRewriterTests
{
    private static JsonObject Spec() => JsonNode.Parse("""
        {
          "root": { "path": "rootfs", "readonly": true },
          "annotations": { "io.kubernetes.cri.sandbox-id": "pod1", "n": "v" },
          "linux": {
            "namespaces": [
              { "type": "pid" },
              { "type": "ipc", "path": "/proc/4242/ns/ipc" },
              { "type": "network", "path": "/var/run/netns/cni-1" }
            ]
          }
        }
        """)!.AsObject();

    [Fact]
    public void TheRootPointsAtTheGuestRootfsAndReadonlyIsKept()
    {
        var spec = Spec();

        SpecRewriter.SetRoot(spec, "/run/kata-containers/c1/rootfs");

        Assert.Equal("/run/kata-containers/c1/rootfs", spec["root"]!["path"]!.GetValue<string>());
        Assert.True(spec["root"]!["readonly"]!.GetValue<bool>());
    }

    [Fact]
    public void ASpecWithoutRootGetsOne()
    {
        var spec = new JsonObject();

        SpecRewriter.SetRoot(spec, "/r");

        Assert.Equal("/r", spec["root"]!["path"]!.GetValue<string>());
    }

    [Fact]
    public void NamespacePathsAreTranslatedAndEntriesWithoutPathsLeftAlone()
    {
        var spec = Spec();

        SpecRewriter.TranslateNamespaces(spec, path => "guest:" + path);

        var namespaces = spec["linux"]!["namespaces"]!.AsArray();
        Assert.Null(namespaces[0]!["path"]);
        Assert.Equal("guest:/proc/4242/ns/ipc", namespaces[1]!["path"]!.GetValue<string>());
        Assert.Equal("guest:/var/run/netns/cni-1", namespaces[2]!["path"]!.GetValue<string>());
    }

    [Fact]
    public void TheSandboxJoinsTheNetworkNamespaceTheSpecNames()
    {
        Assert.Equal("/var/run/netns/cni-1", SpecRewriter.NetworkNamespacePath(Spec()));
        Assert.Null(SpecRewriter.NetworkNamespacePath(JsonNode.Parse("""{"linux":{"namespaces":[{"type":"network"}]}}""")!.AsObject()));
        Assert.Null(SpecRewriter.NetworkNamespacePath(new JsonObject()));
    }

    [Fact]
    public void AnnotationsAreReadAsStrings()
    {
        var annotations = SpecRewriter.Annotations(Spec());

        Assert.Equal("pod1", annotations["io.kubernetes.cri.sandbox-id"]);
        Assert.Equal("v", annotations["n"]);
    }

    [Fact]
    public void HostBindMountsAreSharedAndKernelFileSystemsAreNot()
    {
        // Needs root for mount(2); CI runs as root.
        var work = Directory.CreateTempSubdirectory("guestpull-test-shim-share-");
        var container = Path.Combine(work.FullName, "shared", "c1");
        try
        {
            var hostsFile = Path.Combine(work.FullName, "hosts");
            File.WriteAllText(hostsFile, "127.0.0.1 localhost\n");
            var spec = new JsonObject
            {
                ["mounts"] = new JsonArray(
                    new JsonObject { ["destination"] = "/proc", ["type"] = "proc", ["source"] = "proc" },
                    new JsonObject { ["destination"] = "/etc/hosts", ["type"] = "bind", ["source"] = hostsFile, ["options"] = new JsonArray("rbind", "ro") },
                    new JsonObject { ["destination"] = "/dev/null2", ["type"] = "bind", ["source"] = "/dev/null", ["options"] = new JsonArray("rbind") },
                    new JsonObject { ["destination"] = "/gone", ["type"] = "bind", ["source"] = Path.Combine(work.FullName, "missing"), ["options"] = new JsonArray("rbind") }),
            };

            var made = SpecRewriter.ShareHostMounts(spec, container, path => path);

            var target = Assert.Single(made);
            Assert.Equal(Path.Combine(container, "mounts", "2-hosts"), target);
            Assert.Equal(target, spec["mounts"]![1]!["source"]!.GetValue<string>());
            Assert.Equal("127.0.0.1 localhost\n", File.ReadAllText(target));
            Assert.Equal("proc", spec["mounts"]![0]!["source"]!.GetValue<string>());
            Assert.Equal("/dev/null", spec["mounts"]![2]!["source"]!.GetValue<string>());

            Sandbox.SharedMounts.Remove(container);
            Assert.False(Directory.Exists(container));
            Assert.Empty(Linux.Mounts.MountPointsUnder(work.FullName));
        }
        finally
        {
            Sandbox.SharedMounts.Remove(container);
            work.Delete(recursive: true);
        }
    }
}
