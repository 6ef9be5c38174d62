using k8s;
using k8s.Models;

namespace GuestPull.Install.Tests.Deploy;

public sealed class KubernetesManifestTests
{
    private static readonly string Directory = Path.Combine(TestFiles.RepositoryRoot, "deploy", "kubernetes");

    [Fact]
    public void EveryManifestLoadsIntoTypedModelsInTheGuestPullNamespace()
    {
        var objects = LoadAll();

        var namespaced = objects.OfType<IMetadata<V1ObjectMeta>>()
            .Where(o => o is not V1Namespace and not V1ClusterRole and not V1ClusterRoleBinding and not V1RuntimeClass && o is not V1Pod);
        Assert.All(namespaced, o => Assert.Equal("guestpull-system", o.Metadata.NamespaceProperty));
        Assert.Equal("guestpull-system", Assert.Single(objects.OfType<V1Namespace>()).Metadata.Name);
    }

    [Fact]
    public void ClusterRoleMayGetAndPatchNodesAndIsBoundToTheServiceAccount()
    {
        var objects = LoadAll();
        var account = Assert.Single(objects.OfType<V1ServiceAccount>());
        var role = Assert.Single(objects.OfType<V1ClusterRole>());
        var binding = Assert.Single(objects.OfType<V1ClusterRoleBinding>());

        var rule = Assert.Single(role.Rules);
        Assert.Equal(["nodes"], rule.Resources);
        Assert.Equal(["get", "patch"], rule.Verbs.Order());
        Assert.Equal(role.Metadata.Name, binding.RoleRef.Name);
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal((account.Metadata.Name, "guestpull-system"), (subject.Name, subject.NamespaceProperty));
    }

    [Fact]
    public void ConfigMapCarriesTheSeedKeys()
    {
        var config = LoadAll().OfType<V1ConfigMap>().Single(c => c.Metadata.Name == "guestpull-config");

        Assert.Equal(
            ["ENABLE_CONFIG_FROM_VOLUME", "ENABLE_NODE_CACHE", "ENABLE_RUNTIME_SPECIFIC_SNAPSHOTTER", "ENABLE_SYSTEMD_SERVICE", "FS_DRIVER", "NODE_CACHE"],
            config.Data.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("proxy", config.Data["FS_DRIVER"]);
        // The keys must be values --from-env accepts.
        var options = EnvironmentSettings(config.Data);
        Assert.Equal("proxy", options.FsDriver);
        Assert.False(options.Cache);
        Assert.Null(options.NodeCache);
    }

    [Fact]
    public void DaemonSetIsPrivilegedOnHostNamespacesWithTheSeedsMountsProbeAndPreStopUninstall()
    {
        var objects = LoadAll();
        var daemonSet = Assert.Single(objects.OfType<V1DaemonSet>());
        var pod = daemonSet.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);

        Assert.True(pod.HostPID);
        Assert.True(pod.HostNetwork);
        Assert.True(container.SecurityContext.Privileged);
        Assert.Equal(Assert.Single(objects.OfType<V1ServiceAccount>()).Metadata.Name, pod.ServiceAccountName);
        Assert.Contains("guestpull install --from-env", string.Join(' ', container.Args), StringComparison.Ordinal);
        Assert.Equal("guestpull-config", Assert.Single(container.EnvFrom).ConfigMapRef.Name);
        Assert.Equal("spec.nodeName", container.Env.Single(e => e.Name == "NODE_NAME").ValueFrom.FieldRef.FieldPath);
        Assert.NotNull(container.ReadinessProbe?.Exec);
        Assert.Equal(["guestpull", "uninstall"], container.Lifecycle.PreStop.Exec.Command);

        var hostPaths = pod.Volumes.Where(v => v.HostPath is not null).ToDictionary(v => v.Name, v => v.HostPath.Path);
        var mounts = container.VolumeMounts.ToDictionary(m => m.MountPath);
        foreach (var path in new[] { "/etc/containerd", "/usr/local/bin", "/etc/systemd/system", "/run/containerd" })
        {
            Assert.Equal(path, hostPaths[mounts[path].Name]);
        }
        // The snapshotter root and socket directory are shared both ways (Bidirectional), as nydus-snapshotter's DaemonSet does.
        foreach (var path in new[] { "/var/lib/containerd/io.containerd.snapshotter.v1.guestpull", "/run/containerd-guestpull" })
        {
            Assert.Equal("Bidirectional", mounts[path].MountPropagation);
            Assert.Equal(path, hostPaths[mounts[path].Name]);
        }
        Assert.Contains(mounts.Values, m => m.MountPath == "/run/containerd-guestpull"
            && container.ReadinessProbe!.Exec.Command.Any(c => c.StartsWith(m.MountPath, StringComparison.Ordinal)));
    }

    [Fact]
    public void RuntimeClassAndExamplePodUseTheGuestPullHandler()
    {
        var objects = LoadAll();
        var runtimeClass = Assert.Single(objects.OfType<V1RuntimeClass>());
        var pod = Assert.Single(objects.OfType<V1Pod>());

        Assert.Equal(("guestpull", "guestpull"), (runtimeClass.Metadata.Name, runtimeClass.Handler));
        Assert.Equal("true", runtimeClass.Scheduling.NodeSelector["guestpull.io/snapshotter"]);
        Assert.Equal("guestpull", pod.Spec.RuntimeClassName);
        Assert.Equal("guestpull", pod.Metadata.Annotations["io.containerd.cri.runtime-handler"]);
    }

    [Fact]
    public void KustomizationListsEveryManifestButTheExample()
    {
        var kustomization = File.ReadAllLines(Path.Combine(Directory, "kustomization.yaml"));
        var listed = kustomization.Select(l => l.Trim()).Where(l => l.StartsWith("- ", StringComparison.Ordinal)).Select(l => l[2..]).ToList();

        var files = System.IO.Directory.EnumerateFiles(Directory, "*.yaml").Select(Path.GetFileName)
            .Where(f => f is not "kustomization.yaml" and not "example-pod.yaml");
        Assert.Equal(files.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.Contains(kustomization, l => l.StartsWith("kind: Kustomization", StringComparison.Ordinal));
    }

    private static InstallOptions EnvironmentSettings(IDictionary<string, string> data) =>
        Install.Kubernetes.EnvironmentSettings.Apply(new InstallOptions(), key => data.TryGetValue(key, out var value) ? value : null);

    private static List<object> LoadAll() =>
        [.. System.IO.Directory.EnumerateFiles(Directory, "*.yaml")
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f)))];
}
