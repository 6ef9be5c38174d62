using GuestPull.Agent.ConfidentialDataHub;

namespace GuestPull.Agent.Tests.ConfidentialDataHub;

public sealed class KernelCommandLineTests
{
    [Fact]
    public void ImageRsKeys_AreRead()
    {
        var settings = KernelCommandLine.Parse(
            "BOOT_IMAGE=/vmlinuz root=/dev/vda1 agent.https_proxy=http://1.2.3.4:1234 agent.http_proxy=http://1.2.3.4:1235 " +
            "agent.no_proxy=localhost,10.0.0.0/8 agent.image_registry_auth=file:///root/.docker/config.json " +
            "agent.enable_signature_verification=true agent.image_policy_file=file:///etc/image-policy.json\n",
            "/proc/cmdline");

        Assert.Equal("http://1.2.3.4:1234", settings.HttpsProxy);
        Assert.Equal("http://1.2.3.4:1235", settings.HttpProxy);
        Assert.Equal("localhost,10.0.0.0/8", settings.NoProxy);
        Assert.Equal("/root/.docker/config.json", settings.CredentialsFile);
        Assert.Equal("/etc/image-policy.json", settings.PolicyFile);
        Assert.Equal("/run/kata-containers/image", settings.WorkDir);
        Assert.Empty(settings.Unserved);
    }

    [Theory]
    [InlineData("")]
    [InlineData("agent.enable_signature_verification=false")]
    [InlineData("agent.enable_signature_verification=1")]
    [InlineData("agent.enable_signature_verification=True")]
    public void ThePolicyFile_AppliesOnlyWithSignatureVerificationTrue(string flag)
    {
        var settings = KernelCommandLine.Parse("agent.image_policy_file=file:///etc/p.json " + flag, "cmdline");

        Assert.Null(settings.PolicyFile);
    }

    [Fact]
    public void WordsAcrossLines_AndRepeats_AreHandledLikeTheKernelDoes()
    {
        var settings = KernelCommandLine.Parse(
            "  agent.no_proxy=a   \n agent.image_registry_auth=file:///a.json\tagent.image_registry_auth=file:///b.json quiet", "cmdline");

        Assert.Equal("a", settings.NoProxy);
        Assert.Equal("/b.json", settings.CredentialsFile);
    }

    [Fact]
    public void AKbsUri_IsRecordedAsUnserved()
    {
        var settings = KernelCommandLine.Parse("agent.image_registry_auth=kbs:///default/credential/test", "cmdline");

        Assert.Null(settings.CredentialsFile);
        Assert.Contains("agent.image_registry_auth=kbs:///default/credential/test", Assert.Single(settings.Unserved), StringComparison.Ordinal);
    }

    [Fact]
    public void AMalformedUri_IsRefused_NamingTheParameter()
    {
        var error = Assert.Throws<AgentConfigurationException>(() => KernelCommandLine.Parse("agent.image_registry_auth=/root/config.json", "cmdline"));

        Assert.Contains("agent.image_registry_auth", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreadableFile_GivesTheDefaults()
    {
        var settings = await KernelCommandLine.ReadAsync("/nonexistent/cmdline-" + Guid.NewGuid().ToString("N"), CancellationToken.None);

        Assert.Null(settings.CredentialsFile);
        Assert.Equal("defaults", settings.Source);
    }
}
