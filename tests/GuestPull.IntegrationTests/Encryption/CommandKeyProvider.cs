using System.Text;
using System.Text.Json;
using GuestPull.Testing;

namespace GuestPull.IntegrationTests.Encryption;

/// <summary>
/// A <c>cmd</c> key provider of the tests' own: a shell script speaking ocicrypt's keyprovider protocol on
/// stdin/stdout that wraps a layer key by encrypting it with openssl under a secret file next to it, and
/// unwraps it again. Without the secret file (a node that was never given it) unwrapping fails.
/// </summary>
internal sealed class CommandKeyProvider
{
    public const string Name = "testcmd";

    private const string Script = """
        #!/bin/sh
        # ocicrypt keyprovider protocol (cmd): JSON request on stdin, JSON reply on stdout.
        set -eu
        secret="$(dirname "$0")/secret"
        input=$(cat)
        field() { printf '%s' "$input" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
        case "$input" in
          *'"op":"keywrap"'*)
            wrapped=$(field optsdata | base64 -d | openssl enc -aes-256-cbc -pbkdf2 -salt -pass "file:$secret" | base64 -w0)
            printf '{"keywrapresults":{"annotation":"%s"}}' "$wrapped" ;;
          *'"op":"keyunwrap"'*)
            [ -r "$secret" ] || { echo "no secret on this node" >&2; exit 3; }
            opts=$(field annotation | base64 -d | openssl enc -d -aes-256-cbc -pbkdf2 -pass "file:$secret" | base64 -w0)
            printf '{"keyunwrapresults":{"optsdata":"%s"}}' "$opts" ;;
          *) echo "unknown operation" >&2; exit 2 ;;
        esac
        """;

    private CommandKeyProvider(string directory) => Directory_ = directory;

    private string Directory_ { get; }

    public string ScriptPath => Path.Combine(Directory_, "keyprovider.sh");

    public string SecretPath => Path.Combine(Directory_, "secret");

    /// <summary>An ocicrypt key provider config naming this provider (and, when given, a gRPC one).</summary>
    public string WriteConfig(string path, string? grpcName = null, string? grpcAddress = null)
    {
        var providers = new Dictionary<string, object>
        {
            [Name] = new Dictionary<string, object> { ["cmd"] = new Dictionary<string, object> { ["path"] = ScriptPath, ["args"] = Array.Empty<string>() } },
        };
        if (grpcName is not null)
        {
            providers[grpcName] = new Dictionary<string, object> { ["grpc"] = grpcAddress! };
        }

        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, object> { ["key-providers"] = providers }));
        return path;
    }

    public static CommandKeyProvider Create(string directory)
    {
        var provider = new CommandKeyProvider(directory);
        File.WriteAllText(provider.ScriptPath, Script.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(provider.ScriptPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(provider.SecretPath, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        return provider;
    }

    /// <summary>Wraps private options the way ocicrypt asks a provider to (op keywrap) and returns the annotation bytes.</summary>
    public async Task<byte[]> WrapAsync(byte[] optsData, CancellationToken cancellationToken)
    {
        var request = $"{{\"op\":\"keywrap\",\"keywrapparams\":{{\"ec\":{{\"Parameters\":{{}}}},\"optsdata\":\"{Convert.ToBase64String(optsData)}\"}}}}";
        var result = await ProcessRunner.RunAsync(ScriptPath, [], new ProcessRunOptions { StandardInput = Encoding.UTF8.GetBytes(request), Timeout = TimeSpan.FromMinutes(1) }, cancellationToken);
        using var reply = JsonDocument.Parse(result.StandardOutputBytes);
        return reply.RootElement.GetProperty("keywrapresults").GetProperty("annotation").GetBytesFromBase64();
    }
}
