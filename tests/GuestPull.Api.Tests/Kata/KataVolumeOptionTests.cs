using System.Text;
using GuestPull.Api.Kata;

namespace GuestPull.Api.Tests.Kata;

public sealed class KataVolumeOptionTests
{
    private static string Option(string json) => KataVolumeOption.Prefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void WhatIsEncodedDecodesToTheSameVolume()
    {
        var volume = new KataVirtualVolume
        {
            VolumeType = KataVirtualVolume.ImageGuestPullType,
            ImagePull = new ImagePullVolume { Metadata = { ["io.kubernetes.cri.image-name"] = "registry.example/app:1", ["b"] = "2" } },
        };

        var decoded = KataVolumeOption.Decode(KataVolumeOption.Encode(volume));

        Assert.Equal(KataVirtualVolume.ImageGuestPullType, decoded.VolumeType);
        Assert.Equal(volume.ImagePull.Metadata, decoded.ImagePull.Metadata);
        Assert.Null(decoded.Source);
        Assert.Null(decoded.Options);
    }

    [Fact]
    public void TheImagePullPartIsAlwaysWrittenAndNullFieldsAreNot()
    {
        var json = KataVolumeOption.ToJson(new KataVirtualVolume { VolumeType = KataVirtualVolume.ImageGuestPullType });

        Assert.Equal("""{"volume_type":"image_guest_pull","image_pull":{"metadata":{}}}""", json);
    }

    [Fact]
    public void FindTakesTheFirstVolumeOptionAndNullWhenThereIsNone()
    {
        Assert.Null(KataVolumeOption.Find(["lowerdir=/a", "upperdir=/b"]));
        var found = KataVolumeOption.Find(["lowerdir=/a", Option("""{"volume_type":"x"}"""), Option("""{"volume_type":"y"}""")]);
        Assert.Equal("x", found!.VolumeType);
    }

    [Theory]
    [InlineData("%%%", "is not base64")]
    [InlineData("WyJhIl0=", "must be a JSON object")]
    [InlineData("e30K" + "e30K", "not valid JSON")]
    public void MalformedOptionsAreRefusedNamingTheProblem(string payload, string expected)
    {
        var error = Assert.Throws<KataVolumeFormatException>(() => KataVolumeOption.Decode(KataVolumeOption.Prefix + payload));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonStringMetadataIsRefusedNamingTheKey()
    {
        var error = Assert.Throws<KataVolumeFormatException>(() => KataVolumeOption.Decode(Option("""{"volume_type":"image_guest_pull","image_pull":{"metadata":{"n":1}}}""")));
        Assert.Contains("\"n\" must be a string", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOptionWithoutThePrefixIsRefused()
    {
        Assert.Throws<KataVolumeFormatException>(() => KataVolumeOption.Decode("lowerdir=/a"));
    }

    // Regression tests from the fuzzing campaign (fuzz/, target kata-volume): a string with no UTF-16
    // form escaped as InvalidOperationException from JsonDocument instead of the decoder's own error.
    [Theory]
    [InlineData("""{"volume_type":"x","source":"e~~","image_pull":{"metadata":{}}}""")]
    [InlineData("""{"volume_type":"x","image_pull":{"metadata":{"k~":"v"}}}""")]
    [InlineData("""{"volume_type":"x","image_pull":{"metadata":{"k":"v~"}}}""")]
    [InlineData("""{"volume_type":"x","options":["ro~"],"image_pull":{"metadata":{}}}""")]
    [InlineData("""{"volume_type":"\ud800","image_pull":{"metadata":{}}}""")]
    public void AVolumeWithAStringThatIsNotUtf8IsRefusedAsMalformed(string json)
    {
        // '~' stands for a raw 0xEA byte: the start of a three-byte sequence that never ends.
        var bytes = Encoding.UTF8.GetBytes(json).Select(b => b == (byte)'~' ? (byte)0xEA : b).ToArray();

        var ex = Assert.Throws<KataVolumeFormatException>(() => KataVolumeOption.Decode(KataVolumeOption.Prefix + Convert.ToBase64String(bytes)));
        Assert.Contains("not valid UTF-8", ex.Message, StringComparison.Ordinal);
    }
}
