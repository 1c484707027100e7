using System.Text.Json;

namespace Emulator.Protocol;

/// <summary>
/// A JSON body refused by System.Text.Json because it names a member its type does not have (a type marked
/// <c>JsonUnmappedMemberHandling.Disallow</c>, where a field ignored would change what the body asks for).
/// </summary>
public static class UnmappedMember
{
    /// <summary>
    /// The path of the member <paramref name="problem"/> refused on <paramref name="type"/> (<c>match.phase</c>); null
    /// when the problem is another one, or on another type.
    /// </summary>
    public static string? Of(JsonException problem, Type type) =>
        problem.Message.Contains($"could not be mapped to any .NET member contained in type '{type.FullName}'", StringComparison.Ordinal)
            ? problem.Path?.TrimStart('$', '.')
            : null;
}
