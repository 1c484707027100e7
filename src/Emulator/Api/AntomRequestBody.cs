namespace Emulator.Api;

/// <summary>
/// Names an emulated API's request body for the OpenAPI document only. (<c>Accepts&lt;T&gt;</c> would also make routing
/// refuse requests without <c>Content-Type: application/json</c>, which Antom accepts.)
/// </summary>
public sealed record AntomRequestBody(Type BodyType);
