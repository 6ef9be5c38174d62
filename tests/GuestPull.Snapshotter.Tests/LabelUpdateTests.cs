using GuestPull.Snapshotter.Service;
using GuestPull.Snapshotter.Storage;

namespace GuestPull.Snapshotter.Tests;

public sealed class LabelUpdateTests
{
    private static readonly SnapshotRecord Snapshot = new(
        1, "s", null, SnapshotKind.Committed,
        new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" },
        DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, SnapshotUsage.Zero);

    [Fact]
    public void LabelPath_SetsOneKey_AndKeepsTheOthers()
    {
        var result = LabelUpdate.Apply(Snapshot, new Dictionary<string, string> { ["a"] = "9", ["c"] = "ignored" }, ["labels.a"]);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "9", ["b"] = "2" }, result);
    }

    [Fact]
    public void LabelPath_WithEmptyOrMissingValue_DeletesTheKey()
    {
        Assert.Equal(new Dictionary<string, string> { ["b"] = "2" }, LabelUpdate.Apply(Snapshot, new Dictionary<string, string> { ["a"] = "" }, ["labels.a"]));
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1" }, LabelUpdate.Apply(Snapshot, new Dictionary<string, string>(), ["labels.b"]));
    }

    [Fact]
    public void LabelsPath_AndEmptyMask_ReplaceAllLabels()
    {
        var replacement = new Dictionary<string, string> { ["z"] = "26" };
        Assert.Equal(replacement, LabelUpdate.Apply(Snapshot, replacement, ["labels"]));
        Assert.Equal(replacement, LabelUpdate.Apply(Snapshot, replacement, []));
    }

    [Theory]
    [InlineData("name")]
    [InlineData("parent")]
    [InlineData("kind")]
    [InlineData("labels.")]
    public void OtherPaths_AreInvalidArgument(string path)
    {
        var error = Assert.Throws<SnapshotException>(() => LabelUpdate.Apply(Snapshot, new Dictionary<string, string>(), [path]));
        Assert.Equal(SnapshotErrorCode.InvalidArgument, error.Code);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OversizedLabel_IsInvalidArgument()
    {
        var error = Assert.Throws<SnapshotException>(() =>
            LabelUpdate.Apply(Snapshot, new Dictionary<string, string> { ["big"] = new string('x', 4094) }, ["labels.big"]));
        Assert.Equal(SnapshotErrorCode.InvalidArgument, error.Code);
        Assert.Contains("4096", error.Message, StringComparison.Ordinal);
    }
}
