namespace Emulator.Control;

/// <summary>The Antom public key merchants configure (CONTROL-API.md <c>GET /keys</c>).</summary>
public sealed record KeysView(string KeyVersion, string AntomPublicKey, string AntomPublicKeyPem);
