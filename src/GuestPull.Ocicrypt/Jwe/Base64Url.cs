namespace GuestPull.Ocicrypt.Jwe;

/// <summary>JOSE's unpadded base64url (RFC 7515 §2), decoded strictly.</summary>
internal static class Base64Url
{
    public static byte[] Decode(string value, string what)
    {
        try
        {
            return System.Buffers.Text.Base64Url.DecodeFromChars(value);
        }
        catch (FormatException e)
        {
            throw new FormatException($"the JWE's {what} is not base64url", e);
        }
    }
}
