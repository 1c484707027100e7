namespace Emulator.Protocol;

/// <summary>One broken field rule: the JSON path of the field and the rule it breaks.</summary>
public sealed record FieldError(string Field, string Rule)
{
    public override string ToString() => $"{Field}: {Rule}";
}
