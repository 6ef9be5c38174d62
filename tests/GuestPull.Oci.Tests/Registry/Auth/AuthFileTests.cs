using System.Text;
using GuestPull.Oci.Registry.Auth;

namespace GuestPull.Oci.Tests.Registry.Auth;

public sealed class AuthFileTests
{
    private static string Basic(string userColonPassword) => Convert.ToBase64String(Encoding.UTF8.GetBytes(userColonPassword));

    private static AuthFile Auths(params (string Key, string Entry)[] entries) =>
        AuthFile.Parse("{\"auths\": {" + string.Join(",", entries.Select(e => $"\"{e.Key}\": {e.Entry}")) + "}}", "auth.json");

    [Fact]
    public void AuthFieldDecodesToUserAndPasswordSplitAtFirstColon()
    {
        var file = Auths(("quay.io", $$"""{"auth": "{{Basic("alice:pa:ss")}}"}"""));

        Assert.Equal(new RegistryCredential("alice", "pa:ss"), file.Find("quay.io", "org/app"));
        Assert.Equal(1, file.Count);
        Assert.Equal("auth.json", file.SourceName);
    }

    [Fact]
    public void SeparateUsernameAndPasswordFieldsAndIdentityTokenAreRead()
    {
        var file = Auths(
            ("a.example", """{"username": "bob", "password": "secret"}"""),
            ("b.example", """{"auth": "", "identitytoken": "refresh-me"}"""));

        Assert.Equal(new RegistryCredential("bob", "secret"), file.Find("a.example", "x"));
        Assert.Equal(new RegistryCredential("", "", "refresh-me"), file.Find("b.example", "x"));
    }

    [Fact]
    public void MostSpecificKeyWinsWithBoundaryAtSlash()
    {
        var file = Auths(
            ("reg.example", $$"""{"auth": "{{Basic("host:1")}}"}"""),
            ("reg.example/team", $$"""{"auth": "{{Basic("team:2")}}"}"""),
            ("reg.example/team/app", $$"""{"auth": "{{Basic("app:3")}}"}"""));

        Assert.Equal("app", file.Find("reg.example", "team/app")!.Username);
        Assert.Equal("team", file.Find("reg.example", "team/other")!.Username);
        Assert.Equal("app", file.Find("reg.example", "team/app/sub")!.Username);
        Assert.Equal("host", file.Find("reg.example", "teamx/app")!.Username);
        Assert.Equal("team", file.Find("reg.example", "team")!.Username);
        Assert.Equal("host", file.Find("reg.example", "")!.Username);
    }

    [Fact]
    public void PortIsPartOfTheRegistryAndHostsIgnoreCase()
    {
        var file = Auths(("localhost:5000", $$"""{"auth": "{{Basic("u:p")}}"}"""));

        Assert.NotNull(file.Find("LOCALHOST:5000", "x"));
        Assert.Null(file.Find("localhost", "x"));
        Assert.Null(file.Find("localhost:5001", "x"));
    }

    [Theory]
    [InlineData("https://index.docker.io/v1/", "docker.io")]
    [InlineData("https://index.docker.io/v1/", "registry-1.docker.io")]
    [InlineData("index.docker.io", "docker.io")]
    [InlineData("registry-1.docker.io", "index.docker.io")]
    [InlineData("http://myreg:5000/v2/", "myreg:5000")]
    [InlineData("HTTPS://Quay.io", "quay.io")]
    public void LegacyAndUrlKeysAreNormalized(string key, string host)
    {
        var file = Auths((key, $$"""{"auth": "{{Basic("u:p")}}"}"""));

        Assert.Equal(new RegistryCredential("u", "p"), file.Find(host, "library/busybox"));
    }

    [Fact]
    public void UrlPathIsNotTreatedAsANamespace()
    {
        var file = Auths(("https://myreg/team/", $$"""{"auth": "{{Basic("u:p")}}"}"""));

        Assert.NotNull(file.Find("myreg", "other/app"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PlainKeyBeatsUrlSpellingOfTheSameRegistryInEitherOrder(bool plainFirst)
    {
        (string, string) plain = ("docker.io", $$"""{"auth": "{{Basic("plain:1")}}"}""");
        (string, string) url = ("https://index.docker.io/v1/", $$"""{"auth": "{{Basic("url:2")}}"}""");

        var file = plainFirst ? Auths(plain, url) : Auths(url, plain);

        Assert.Equal("plain", file.Find("docker.io", "library/x")!.Username);
    }

    [Fact]
    public void EmptyEntriesWrittenForCredentialHelpersAreSkipped()
    {
        var file = Auths(("reg.example/team", "{}"), ("reg.example", $$"""{"auth": "{{Basic("u:p")}}"}"""));

        Assert.Equal("u", file.Find("reg.example", "team/app")!.Username);
    }

    [Fact]
    public void CredentialHelpersAreReportedAsWarningsOnceAndNotUsed()
    {
        var file = AuthFile.Parse("""{"auths": {}, "credHelpers": {"gcr.io": "gcloud"}, "credsStore": "desktop"}""", "config.json");

        Assert.Null(file.Find("gcr.io", "p/app"));
        Assert.Null(file.Find("gcr.io", "p/other"));
        Assert.Null(file.Find("quay.io", "x"));

        Assert.Collection(
            file.Warnings,
            w => Assert.Contains("credential helper 'gcloud' configured for 'gcr.io' is not supported", w),
            w => Assert.Contains("credsStore", w));
    }

    [Fact]
    public void UnrelatedDockerCliSettingsAreIgnored()
    {
        var file = AuthFile.Parse("""{"psFormat": "table", "proxies": {"default": {}}, "auths": {"r": {"auth": "dTpw"}}}""", "config.json");

        Assert.Equal(new RegistryCredential("u", "p"), file.Find("r", "x"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n")]
    [InlineData("{}")]
    public void EmptyFilesHaveNoCredentials(string json)
    {
        Assert.Null(AuthFile.Parse(json, "auth.json").Find("quay.io", "x"));
    }

    [Theory]
    [InlineData("{\"auths\": ", "not valid JSON")]
    [InlineData("[]", "top level")]
    [InlineData("{\"auths\": []}", "'auths' must be a JSON object")]
    [InlineData("{\"auths\": {\"r.io\": \"x\"}}", "entry 'r.io' must be a JSON object")]
    [InlineData("{\"auths\": {\"r.io\": {\"auth\": \"!!notbase64\"}}}", "entry 'r.io': 'auth' is not valid base64")]
    [InlineData("{\"auths\": {\"r.io\": {\"auth\": \"bm9jb2xvbg==\"}}}", "entry 'r.io': 'auth' must decode to 'username:password'")]
    [InlineData("{\"auths\": {\"r.io\": {\"auth\": \"//79\"}}}", "entry 'r.io': 'auth' does not decode to UTF-8")]
    [InlineData("{\"auths\": {\"r.io\": {\"auth\": 5}}}", "entry 'r.io': 'auth' must be a string")]
    [InlineData("{\"auths\": {\"r.io\": {\"username\": \"u\"}}}", "entry 'r.io' has 'username' without 'password'")]
    [InlineData("{\"auths\": {\"r.io\": {\"password\": \"p\"}}}", "entry 'r.io' has 'password' without 'username'")]
    [InlineData("{\"auths\": {\"https://\": {\"auth\": \"dTpw\"}}}", "key 'https://' does not name a registry")]
    [InlineData("{\"auths\": {\"a b\": {\"auth\": \"dTpw\"}}}", "key 'a b' does not name a registry")]
    [InlineData("{\"credHelpers\": {\"r.io\": 1}}", "credHelpers entry 'r.io' must be a string")]
    [InlineData("{\"credsStore\": []}", "'credsStore' must be a string")]
    public void MalformedFilesNameTheFileAndTheEntry(string json, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => AuthFile.Parse(json, "/home/u/auth.json"));

        Assert.StartsWith("/home/u/auth.json: ", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void DeeplyNestedJsonIsRejected()
    {
        var json = "{\"auths\": {\"x\": " + new string('[', 5000) + new string(']', 5000) + "}}";

        Assert.Throws<InvalidDataException>(() => AuthFile.Parse(json, "auth.json"));
    }

    [Fact]
    public void ErrorMessagesAndToStringNeverShowSecrets()
    {
        var noColon = Convert.ToBase64String(Encoding.UTF8.GetBytes("hunter2hunter2"));
        var ex = Assert.Throws<InvalidDataException>(() => Auths(("r.io", $$"""{"auth": "{{noColon}}"}""")));
        var text = new RegistryCredential("alice", "hunter2", "tok-123").ToString();

        Assert.DoesNotContain("hunter2", ex.Message);
        Assert.DoesNotContain(noColon, ex.Message);
        Assert.Contains("alice", text);
        Assert.DoesNotContain("hunter2", text);
        Assert.DoesNotContain("tok-123", text);
    }

    [Fact]
    public void FindRejectsAnEmptyHost()
    {
        Assert.Throws<ArgumentException>(() => AuthFile.Empty.Find("", "x"));
    }

    [Fact]
    public void ExplicitPathMustExist()
    {
        using var dir = new TempDirectory();
        var missing = Path.Combine(dir.Path, "nope.json");

        var ex = Assert.Throws<FileNotFoundException>(() => AuthFile.Load(missing));

        Assert.Contains(missing, ex.Message);
    }

    [Fact]
    public void ExplicitPathIsRead()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("mine.json", """{"auths": {"r.io": {"auth": "dTpw"}}}""");

        var file = AuthFile.Load(path);

        Assert.Equal(path, file.SourceName);
        Assert.NotNull(file.Find("r.io", "x"));
    }

    [Fact]
    public void DefaultSearchTakesTheFirstExistingFileInOrder()
    {
        using var dir = new TempDirectory();
        var home = Path.Combine(dir.Path, "home");
        var environment = new Dictionary<string, string?>
        {
            ["REGISTRY_AUTH_FILE"] = Path.Combine(dir.Path, "env-auth.json"),
            ["XDG_RUNTIME_DIR"] = Path.Combine(dir.Path, "run"),
        };
        var files = new[]
        {
            dir.Write("home/.dockercfg", """{"https://legacy.io/v1/": {"auth": "bGVnYWN5OnA=", "email": "x@y"}}"""),
            dir.Write("home/.docker/config.json", """{"auths": {"docker.cfg": {"auth": "dTpw"}}}"""),
            dir.Write("home/.config/containers/auth.json", """{"auths": {"xdg.config": {"auth": "dTpw"}}}"""),
            dir.Write("run/containers/auth.json", """{"auths": {"xdg.runtime": {"auth": "dTpw"}}}"""),
            dir.Write("env-auth.json", """{"auths": {"env.file": {"auth": "dTpw"}}}"""),
        };
        var expectedHosts = new[] { "legacy.io", "docker.cfg", "xdg.config", "xdg.runtime", "env.file" };

        // Each newly created, higher-priority file takes over from the previous one.
        for (var i = files.Length - 1; i >= 0; i--)
        {
            var file = AuthFile.Load(null, name => environment.GetValueOrDefault(name), home);

            Assert.Equal(files[i], file.SourceName);
            Assert.NotNull(file.Find(expectedHosts[i], "x"));
            File.Delete(files[i]);
        }

        Assert.Same(AuthFile.Empty, AuthFile.Load(null, name => environment.GetValueOrDefault(name), home));
    }

    [Fact]
    public void XdgConfigHomeAndDockerConfigReplaceTheirHomeDefaults()
    {
        using var dir = new TempDirectory();
        var home = Path.Combine(dir.Path, "home");
        dir.Write("home/.docker/config.json", """{"auths": {"home.docker": {"auth": "dTpw"}}}""");
        var dockerConfig = dir.Write("dc/config.json", """{"auths": {"env.docker": {"auth": "dTpw"}}}""");
        dir.Write("home/.config/containers/auth.json", """{"auths": {"home.xdg": {"auth": "dTpw"}}}""");
        var environment = new Dictionary<string, string?>
        {
            ["XDG_CONFIG_HOME"] = Path.Combine(dir.Path, "elsewhere"),
            ["DOCKER_CONFIG"] = Path.Combine(dir.Path, "dc"),
        };

        var file = AuthFile.Load(null, name => environment.GetValueOrDefault(name), home);

        Assert.Equal(dockerConfig, file.SourceName);
    }

    [Fact]
    public void LegacyDockercfgStripsUrlPaths()
    {
        using var dir = new TempDirectory();
        var path = dir.Write(".dockercfg", """{"legacy.io/v1/": {"auth": "bGVnYWN5OnA="}}""");

        var file = AuthFile.Load(path);

        Assert.Equal(new RegistryCredential("legacy", "p"), file.Find("legacy.io", "any/repo"));
    }
}
