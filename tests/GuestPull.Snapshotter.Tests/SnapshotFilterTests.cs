using GuestPull.Snapshotter.Filters;
using GuestPull.Snapshotter.Storage;

namespace GuestPull.Snapshotter.Tests;

public sealed class SnapshotFilterTests
{
    private static readonly SnapshotRecord Layer = Record("k8s.io/8/sha256:abc", "k8s.io/7/sha256:base", SnapshotKind.Committed, new()
    {
        ["containerd.io/snapshot.ref"] = "sha256:abc",
        ["containerd.io/snapshot/cri.layer-digest"] = "sha256:111",
    });

    private static readonly SnapshotRecord Container = Record("k8s.io/9/ctr", "k8s.io/8/sha256:abc", SnapshotKind.Active, []);

    [Fact]
    public void TheFilterContainerdSendsAfterAlreadyExists_MatchesOnlyTheCommittedLayer()
    {
        var filter = SnapshotFilter.Parse(["labels.\"containerd.io/snapshot.ref\"==sha256:abc,parent==\"k8s.io/7/sha256:base\""]);
        Assert.True(filter.Matches(Layer));
        Assert.False(filter.Matches(Container));
        Assert.False(SnapshotFilter.Parse(["labels.\"containerd.io/snapshot.ref\"==sha256:abc,parent==\"other\""]).Matches(Layer));
    }

    [Fact]
    public void SeveralStrings_AreOr_CommasAreAnd()
    {
        var either = SnapshotFilter.Parse(["kind==active", "name==k8s.io/8/sha256:abc"]);
        Assert.True(either.Matches(Layer));
        Assert.True(either.Matches(Container));
        var both = SnapshotFilter.Parse(["kind==active,name==k8s.io/8/sha256:abc"]);
        Assert.False(both.Matches(Layer));
        Assert.False(both.Matches(Container));
    }

    [Fact]
    public void BaseSnapshot_HasAnEmptyParent_ThatEqualsEmptyString()
    {
        var baseLayer = Layer with { Parent = null };
        Assert.True(SnapshotFilter.Parse(["labels.\"containerd.io/snapshot.ref\"==sha256:abc,parent==\"\""]).Matches(baseLayer));
        Assert.True(SnapshotFilter.Parse(["parent"]).Matches(baseLayer));
    }

    [Fact]
    public void NoFilters_MatchEverything()
    {
        Assert.True(SnapshotFilter.Parse([]).Matches(Container));
        Assert.True(SnapshotFilter.Parse([""]).Matches(Layer));
    }

    [Theory]
    [InlineData("kind==committed", true)]
    [InlineData("kind!=committed", false)]
    [InlineData("labels.\"containerd.io/snapshot/cri.layer-digest\"", true)]
    [InlineData("labels.missing", false)]
    [InlineData("name~=/sha256:a.c$/", true)]
    [InlineData("name~=\"^k8s\\\\.io/7\"", false)]
    [InlineData("parent==k8s.io/7/sha256:base", true)]
    [InlineData("  kind == committed , parent ~= base  ", true)]
    [InlineData("labels.missing!=x", true)]
    [InlineData("parent==\"\"", false)]
    public void Operators(string expression, bool expected) =>
        Assert.Equal(expected, SnapshotFilter.Parse([expression]).Matches(Layer));

    [Theory]
    [InlineData("size==1", "unknown field 'size'")]
    [InlineData("name==", "missing value")]
    [InlineData("name=>x", "expected ==")]
    [InlineData("labels.\"unterminated==x", "unterminated")]
    [InlineData("labels==x", "needs a key")]
    [InlineData("name~=/(/", "bad regular expression")]
    public void Malformed_IsInvalidArgumentNamingTheProblem(string expression, string problem)
    {
        var error = Assert.Throws<SnapshotException>(() => SnapshotFilter.Parse([expression]));
        Assert.Equal(SnapshotErrorCode.InvalidArgument, error.Code);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains(expression, error.Message, StringComparison.Ordinal);
    }

    private static SnapshotRecord Record(string key, string? parent, SnapshotKind kind, Dictionary<string, string> labels) =>
        new(1, key, parent, kind, labels, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, SnapshotUsage.Zero);
}
